"""Participants in a real Chromium: María adds Juan on her ticket page, Juan finds it in My
Tickets and replies; María removes him and he gets 404 again. No CSP refusal on the way."""

import pytest

from tests.factories import TicketFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _log_in(context, base: str, email: str, password: str):
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.console_messages = console
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page


def test_requester_adds_and_removes_a_colleague(browser, live_server, two_orgs, settings):
    settings.EMAIL_BACKEND = "helpdesk.mail_backends.EmlFileBackend"
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Trunk flapping at night")
    base, url = live_server.url, f"{live_server.url}/tickets/{ticket.number}/"
    maria = _log_in(browser.new_context(), base, two_orgs.maria.email, two_orgs.password)
    maria.goto(url)
    maria.select_option("select[name=contact]", label="Juan Pérez <juan@acme.example>")
    maria.click("form.participant-add button[type=submit]")
    maria.wait_for_load_state()
    assert maria.locator('[data-participant="juan@acme.example"]').count() == 1

    juan = _log_in(browser.new_context(), base, two_orgs.juan.email, two_orgs.password)
    juan.goto(f"{base}/")
    assert "Trunk flapping at night" in juan.inner_text("main")
    juan.goto(url)
    juan.fill("textarea[name=message]", "I see it too from the branch office.")
    juan.click("#reply button[type=submit]")
    juan.wait_for_load_state()
    assert "I see it too from the branch office." in juan.inner_text("main")

    maria.goto(url)
    maria.click('[data-participant="juan@acme.example"] button[type=submit]')
    maria.wait_for_load_state()
    assert maria.locator('[data-participant="juan@acme.example"]').count() == 0
    assert juan.goto(url).status == 404
    for page in (maria, juan):
        assert not [m for m in page.console_messages if "Content Security Policy" in m]
