"""Issue 11 "Done when": the customer site at 360, 390, 768 and 1280 px wide, in Spanish
and English, in a real Chromium, with the demo data: every page without horizontal scroll,
without a console error and without an axe-core violation of WCAG A or AA (axe-core from
npm, vendored under tests/e2e/vendor, injected by Playwright: no CDN). A screenshot of every
page is saved under the test's tmp dir. Along the way: the phone menu, the wizard's search
and "show unavailable", the refused module shown before writing, fixes that are actions,
the credits page, My Tickets' search, the ticket page's conversation first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from tests.e2e.test_customer_browser import _log_in
from tickets.models import Ticket

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (360, 390, 768, 1280)
PHONE = 760  # the stylesheet's phone breakpoint


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


class Checked:
    """Visits pages and checks each: no horizontal scroll, no console error, no axe
    violation; saves a screenshot."""

    def __init__(self, page, base: str, shots: Path, tag: str):
        self.page, self.base, self.shots, self.tag = page, base, shots, tag
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(f"{msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def visit(self, path: str, name: str):
        response = self.page.goto(f"{self.base}{path}")
        self.page.wait_for_load_state("load")
        assert response.status == 200, (path, response.status)
        self.check(name)

    def check(self, name: str):
        page = self.page
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        page.screenshot(path=str(self.shots / f"{self.tag}-{name}.png"), full_page=True)
        assert overflow <= 0, f"{self.tag} {name}: {overflow}px of horizontal scroll"
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text())
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
            "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + "
            "(n.failureSummary || '').slice(0, 160))})))", AXE_TAGS)
        assert result == [], f"{self.tag} {name}: {result}"
        assert self.errors == [], f"{self.tag} {name}: {self.errors}"


def _switch_language(page, lang: str) -> None:
    if page.locator("[data-menu-toggle]").is_visible():
        page.click("[data-menu-toggle]")
    page.locator(f".lang-switch button[value={lang}]").first.click()
    page.wait_for_load_state("load")


def _open_menu_if_folded(page) -> None:
    toggle = page.locator("[data-menu-toggle]")
    if toggle.is_visible():
        assert not page.locator("#site-nav").is_visible()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.locator("#site-nav").is_visible()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_maria_journey_at_every_width(browser, live_server, demo, tmp_path, lang):
    base = live_server.url
    maria = User.objects.get(email="maria@acme.example")
    ticket = Ticket.objects.filter(requester=maria).order_by("id").first()
    if ticket is None:
        from tests.factories import TicketFactory

        ticket = TicketFactory.create(requester=maria, subject="Echo on long calls")
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 844},
                                      locale="es-ES" if lang == "es" else "en-US")
        page = context.new_page()
        check = Checked(page, base, tmp_path, f"{lang}-{width}")
        check.visit("/accounts/login/", "login")
        check.visit("/accounts/password-reset/", "password-reset")
        _log_in(page, base, "maria@acme.example", DEMO_PASSWORD)
        _switch_language(page, lang)
        assert page.locator("html").get_attribute("lang") == lang
        check.check("my-tickets")
        manifest = page.locator("link[rel=manifest]").get_attribute("href")
        assert context.request.get(f"{base}{manifest}").ok
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert context.request.get(f"{base}{icon}").ok
        # The header: a menu button on phones, the links in a row on wider screens.
        assert page.locator("[data-menu-toggle]").is_visible() == (width <= PHONE)
        assert page.locator("#site-nav").is_visible() == (width > PHONE)
        _open_menu_if_folded(page)
        check.check("menu")

        # Wizard step 1: search, "show unavailable" off on phones with a count.
        check.visit("/tickets/new/", "wizard")
        toggle = page.locator("[data-show-unavailable]")
        assert toggle.is_checked() == (width > PHONE)
        if width <= PHONE:
            assert re.search(r"\d", page.locator("[data-hidden-count]").inner_text())
            assert not page.locator('[data-department="vega-hardware"]').is_visible()
            toggle.check()
        vega = page.locator('[data-department="vega-hardware"]')
        assert vega.is_visible() and "VEGA-0002" in vega.inner_text()
        assert vega.locator('[data-action="extend_warranty"]').count() == 1
        # Products are collapsible groups.
        freepbx = page.locator("details[data-product]").first
        freepbx.locator("summary").click()
        assert not freepbx.locator('[data-department="freepbx-configuration"]').is_visible()
        freepbx.locator("summary").click()
        page.fill("[data-wizard-search]", "vega")
        assert not page.locator('[data-department="sipstation-general"]').is_visible()
        assert vega.is_visible()
        check.check("wizard-search")

        # Step 2 of commercial modules: the expired module is refused before writing.
        check.visit("/tickets/new/freepbx-commercial-modules/", "wizard-modules")
        refused = page.locator('[data-items] li[data-item-allowed="false"]')
        assert "Call Recording Reports" in refused.inner_text()
        assert page.locator("select[name=field_module] option",
                            has_text="Call Recording Reports").is_disabled()

        # An unavailable department and its fix: renewing DEP-2001 orders the renewal
        # (a renewal order staff see); VEGA-0002's warranty opens a prefilled sales ticket.
        check.visit("/tickets/new/pbxact-configuration/", "wizard-unavailable")
        page.click('[data-action="renew_contract"]')
        page.wait_for_load_state("load")
        assert "RO-" in page.locator(".flash-success").inner_text()
        assert "DEP-2001" in page.locator(".flash-success").inner_text()
        check.check("renewal-ordered")
        check.visit("/tickets/new/vega-hardware/", "wizard-unavailable-hardware")
        page.click('[data-action="extend_warranty"]')
        page.wait_for_load_state("load")
        assert "/tickets/new/sales-questions/" in page.url
        assert "VEGA-0002" in page.input_value("input[name=subject]")
        assert page.input_value("input[name=field_about]") == "VEGA-0002"
        check.check("wizard-sales")

        check.visit("/credits/", "credits")
        assert page.locator("[data-sparkline] svg").is_visible()
        reasons = page.locator("[data-reason]").all_inner_texts()
        assert ("Créditos incluidos en el contrato Soporte Estándar de DEP-1001" if lang == "es"
                else "Credits included in the contract Soporte Estándar of DEP-1001") in reasons
        # The ledger is a table on wide screens and a list on phones.
        header_shown = page.locator("table.ledger thead").is_visible()
        assert header_shown == (width > PHONE)
        check.visit("/credits/?bundle=600", "credits-suggested")
        assert page.locator("select[name=minutes]").input_value() == "600"

        check.visit(f"/?q={ticket.number}", "my-tickets-search")
        assert page.locator(f"text={ticket.number}").count() >= 1
        check.visit(f"/tickets/{ticket.number}/", "ticket")
        # The conversation comes before the details; on phones the details are folded.
        order = page.evaluate("""() => {
            const c = document.querySelector('.conversation').getBoundingClientRect();
            const d = document.querySelector('[data-details-panel]').getBoundingClientRect();
            return [c.top, d.top, c.left, d.left]; }""")
        assert order[0] <= order[1] and (order[0] < order[1] or order[2] < order[3])
        details_open = page.evaluate(
            "document.querySelector('[data-details-panel]').open")
        assert details_open == (width > PHONE)
        assert page.locator("[data-timeline] li").count() >= 1

        check.visit("/tickets/resolved/", "resolved")
        check.visit("/accounts/profile/", "profile")
        check.visit("/accounts/password/", "password-change")
        check.visit("/accounts/two-factor/", "two-factor-setup")
        check.visit("/accounts/confirm-details/", "contact-details")

        # A ticket end to end: step 2, the confirmation page.
        check.visit("/tickets/new/sipstation-general/", "wizard-details")
        page.fill("input[name=subject]", f"Trunk drops calls ({width}px)")
        page.fill("textarea[name=message]", "Calls drop after 30 seconds.")
        page.click("form.form button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator("[data-ticket-number]").count() == 1
        check.check("submitted")

        # Our own 404 page (Chromium logs the 404 status; nothing else).
        page.goto(f"{base}/no-such-page/")
        assert [e for e in check.errors if "status of 404" not in e] == []
        check.errors.clear()
        check.check("not-found")
        context.close()


def test_first_login_and_staff_pages(browser, live_server, demo, tmp_path):
    base = live_server.url
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 844},
                                      locale="es-ES", timezone_id="Europe/Madrid")
        page = context.new_page()
        check = Checked(page, base, tmp_path, f"juan-{width}")
        # Juan's profile says Spanish; he picks English on the login page.
        check.visit("/accounts/login/", "login")
        page.locator(".lang-switch button[value=en]").first.click(force=True) \
            if width > PHONE else _switch_language(page, "en")
        page.wait_for_load_state("load")
        _log_in(page, base, "juan@acme.example", DEMO_PASSWORD)
        assert "/accounts/confirm-details/" in page.url
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator('[data-language-offer="en"]').count() == 1
        # The browser's own zone is chosen; the search box narrows the list.
        assert page.locator("select[name=time_zone]").input_value() == "Europe/Madrid"
        assert page.locator("[data-tz-detected]").is_visible()
        check.check("confirm-details")
        page.fill("#tz-search", "buenos")
        assert page.locator("select[name=time_zone]").input_value() \
            == "America/Argentina/Buenos_Aires"
        page.fill("#tz-search", "")
        page.select_option("select[name=time_zone]", "Europe/Madrid")
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator(".flash-success").count() == 1, page.inner_text("main")
        check.check("after-confirmation")
        User.objects.filter(email="juan@acme.example").update(details_confirmed_at=None,
                                                              language="es")
        context.close()
    # Staff: the design-system page shows every component; the customer site sends them on.
    client = Client()
    client.force_login(User.objects.get(email="agent@helpdesk.example"))
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 844})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        page = context.new_page()
        check = Checked(page, base, tmp_path, f"staff-{width}")
        check.visit("/design/", "design-system")
        for component in ("tokens", "buttons", "alerts", "badges", "cards", "forms", "tables",
                          "empty", "panels"):
            assert page.locator(f'[data-component="{component}"]').count() == 1
        page.goto(f"{base}/tickets/new/")
        assert page.url.rstrip("/").endswith("/admin"), page.url
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_ana_buys_credits_from_the_wizards_fix(browser, live_server, demo, tmp_path, width):
    """A refusal for lack of credits → "Request a bundle of credits" → the Credits page
    with the bundle suggested → a purchase order with its status; then the demo card."""
    from credits.demo import DEMO_CARD

    base = live_server.url
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="en-US")
    page = context.new_page()
    check = Checked(page, base, tmp_path, f"ana-{width}")
    _log_in(page, base, "ana@globex.example", DEMO_PASSWORD)
    _switch_language(page, "en")
    check.visit("/tickets/new/", "wizard")
    page.locator("[data-show-unavailable]").check()
    page.click('[data-department="pbxact-ucc-configuration"] [data-action="buy_credits"]')
    page.wait_for_load_state("load")
    assert "/credits/" in page.url and page.locator("select[name=minutes]").input_value() == "120"
    assert page.locator("[data-balance-note]").count() == 0  # never had credits: no alarm
    check.check("credits")
    page.click("#buy button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator(".flash-success").count() == 1
    assert page.locator('[data-order-status="pending"]').count() == 1
    check.check("bundle-requested")
    page.fill("input[name=number]", DEMO_CARD["number"])
    page.fill("input[name=code]", "WRONG-CODE")
    page.click("#redeem button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#redeem .alert-error").count() == 1
    assert page.input_value("input[name=number]") == DEMO_CARD["number"]  # kept
    # A refused form answers 400 on purpose; Chromium logs that status, nothing else.
    assert [e for e in check.errors if "status of 400" not in e] == []
    check.errors.clear()
    check.check("redeem-refused")
    page.fill("input[name=number]", DEMO_CARD["number"])
    page.fill("input[name=code]", DEMO_CARD["code"])
    page.click("#redeem button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator(".flash-success").count() == 1
    assert page.locator("#balance").get_attribute("data-balance") == "120"
    check.check("redeemed")
    context.close()
