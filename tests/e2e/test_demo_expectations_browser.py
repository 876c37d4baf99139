"""demo-data.md, "What a newcomer should then see", checked in a real Chromium against
the live server with the demo data loaded by `load_demo`."""

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from tests.e2e.test_customer_browser import _log_in
from tickets.models import Ticket

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def _availability(page, base: str) -> dict[str, bool]:
    page.goto(f"{base}/tickets/new/")
    return {
        item.get_attribute("data-department"): "unavailable" not in item.get_attribute("class")
        for item in page.locator("li[data-department]").all()
    }


def _reasons(page, code: str) -> str:
    return page.locator(f'li[data-department="{code}"]').inner_text()


def test_ana_of_globex(browser, live_server, demo):
    page = browser.new_page(locale="en-US")
    _log_in(page, live_server.url, "ana@globex.example", DEMO_PASSWORD)
    available = _availability(page, live_server.url)
    assert {code for code, ok in available.items() if ok} == {
        "sipstation-general", "faxstation-general", "pbxact-cloud-bugs", "cards-service-request",
        "sales-questions"}
    assert _codes(page, "freepbx-configuration") == {"no_contract", "no_credits"}
    assert _codes(page, "pbxact-ucc-configuration") == {"no_credits"}


def test_maria_of_acme(browser, live_server, demo):
    base = live_server.url
    page = browser.new_page(locale="en-US")
    _log_in(page, base, "maria@acme.example", DEMO_PASSWORD)
    available = _availability(page, base)
    assert available["freepbx-configuration"] and available["sbc-hardware"]
    assert available["freepbx-commercial-modules"]
    assert not available["pbxact-configuration"]
    assert "DEP-2001" in _reasons(page, "pbxact-configuration")
    assert not available["vega-hardware"]
    assert "VEGA-0002" in _reasons(page, "vega-hardware")

    # FreePBX configuration for DEP-1001 shows the 420 credits and opens a ticket.
    page.goto(f"{base}/tickets/new/freepbx-configuration/")
    assert page.locator("[data-balance]").get_attribute("data-balance") == "420"
    # Acme has one billing responsibility and one FreePBX deployment: both come chosen.
    assert page.locator("select[name=field_billing_responsibility] option:checked"
                        ).inner_text().startswith("BR-1001")
    assert page.locator("select[name=field_deployment] option:checked"
                        ).inner_text().startswith("DEP-1001")
    _submit(page, "Provisioning of extensions fails")
    assert page.locator("[data-ticket-number]").count() == 1, page.inner_text("main")

    # SBC hardware for SBC-0001 opens a ticket.
    page.goto(f"{base}/tickets/new/sbc-hardware/")
    _submit(page, "SBC fan is noisy")
    assert page.locator("[data-ticket-number]").count() == 1, page.inner_text("main")

    # Commercial modules: "Call Recording Reports" is shown unavailable, with its fix, before
    # anything is written (its option cannot be chosen); "EndPoint Manager" is accepted.
    page.goto(f"{base}/tickets/new/freepbx-commercial-modules/")
    refused = page.locator('[data-items] li[data-item-allowed="false"]')
    assert "Call Recording Reports" in refused.inner_text()
    assert refused.locator('[data-action="renew_maintenance"]').count() == 1
    assert page.locator("select[name=field_module] option",
                        has_text="Call Recording Reports").is_disabled()
    page.select_option("select[name=field_module]", label="EndPoint Manager (DEP-1001)")
    _submit(page, "Templates do not apply")
    assert page.locator("[data-ticket-number]").count() == 1
    assert Ticket.objects.filter(requester__email="maria@acme.example").count() == 4  # + demo


def _submit(page, subject: str) -> None:
    page.fill("input[name=subject]", subject)
    page.fill("textarea[name=message]", "Details of the problem.")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def _codes(page, code: str) -> set[str]:
    return {li.get_attribute("data-reason")
            for li in page.locator(f'li[data-department="{code}"] [data-reason]').all()}
