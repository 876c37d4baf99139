"""An agent's first login in a real Chromium: the admin sends them to enrol, the QR code is
on the page (no CSP violation), a code from the authenticator turns two-factor on and shows
the recovery codes; the next login asks for a code, then the queue opens."""

import re
from base64 import b32decode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.two_factor_support import totp_code
from tests.e2e.test_csp_browser import LISTEN_FOR_VIOLATIONS
from tests.tickets.agent_setup import make_agent

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def browser_page(browser):
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.add_init_script(LISTEN_FOR_VIOLATIONS)
    return page


def _submit(page, selector: str = "form:not(.lang-switch) [type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def _sign_in(page, base: str, two_orgs) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/tickets/ticket/")
    page.fill("input[name=username]", two_orgs.agent.email)
    page.fill("input[name=password]", two_orgs.password)
    _submit(page)


def test_an_agent_enrols_and_signs_in_with_a_code(live_server, transactional_db, browser_page,
                                                  two_orgs, settings):
    settings.TWO_FACTOR_REQUIRED = True
    make_agent(two_orgs.agent)
    page, base = browser_page, live_server.url

    _sign_in(page, base, two_orgs)
    assert "/accounts/two-factor/" in page.url
    assert page.locator("svg.qr-code").is_visible()
    # The app is given the key the page shows (the QR code holds the same).
    secret = page.locator(".otp-secret").inner_text()
    app = TOTPDevice(key=b32decode(secret).hex())
    page.fill("input[name=code]", totp_code(app, steps_ahead=-1))
    _submit(page)
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]+", code) for code in codes)
    _submit(page, "a.btn")  # "I have saved my codes": on to the queue
    assert page.url.endswith("/admin/tickets/ticket/")

    page.context.clear_cookies()
    _sign_in(page, base, two_orgs)
    assert "/accounts/two-factor/verify/" in page.url
    page.fill("input[name=code]", totp_code(TOTPDevice.objects.get(user=two_orgs.agent)))
    _submit(page)
    assert page.url.endswith("/admin/tickets/ticket/")
    assert page.evaluate("window.__cspViolations") == []
