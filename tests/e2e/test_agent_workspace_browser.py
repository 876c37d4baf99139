"""The agent's story in a real Chromium against the live server: claim, reply, log time,
move to a free department (refund), resolve."""

import pytest
from django.core import mail

from credits.selectors import credit_balance_minutes
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def browser_page(browser):
    return browser.new_page(viewport={"width": 1500, "height": 1100})


def test_agent_story_in_the_browser(live_server, transactional_db, browser_page, two_orgs):
    make_agent(two_orgs.agent)
    ticket = freepbx_configuration_ticket(two_orgs, subject="Configure the FreePBX trunk").ticket
    mail.outbox.clear()
    page, base = browser_page, live_server.url

    page.goto(f"{base}/admin/login/?next=/admin/tickets/ticket/%3Fassignee%3Dnone")
    page.fill("input[name=username]", two_orgs.agent.email)
    page.fill("input[name=password]", two_orgs.password)
    submit(page, "form:not(.lang-switch) [type=submit]")  # the site's login form
    page.check(f"input.action-select[value='{ticket.pk}']")
    page.select_option("select[name=action]", "assign_to_me")
    submit(page, "button[name=index]")
    assert "1 tickets assigned to you." in page.content()

    page.goto(f"{base}/admin/tickets/ticket/{ticket.pk}/change/")
    page.fill("#reply textarea[name=body]", "I have reconfigured the trunk.")
    submit(page, "#reply input[type=submit]")
    assert "Reply sent to the customer." in page.content()

    page.fill("#log-time input[name=minutes]", "25")
    page.fill("#log-time input[name=note]", "Trunk configuration")
    submit(page, "#log-time input[type=submit]")
    assert page.inner_text("#balance") == "395"
    assert page.inner_text("#ticket-minutes") == "25"

    page.select_option("#update select[name=department]", label="SIPStation · SIPStation General Support")
    page.fill("#update input[name=reason]", "SIPStation trunk question")
    submit(page, "#update-save")
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420

    page.select_option("#update select[name=status]", "resolved")
    submit(page, "#update-save")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.assignee == two_orgs.agent
    assert ticket.messages.filter(kind=Message.Kind.AGENT).count() == 1
    assert any(f"[#{ticket.number}]" in m.subject and m.to == [two_orgs.maria.email]
               for m in mail.outbox)
    assert "moved it from FreePBX Configuration to SIPStation General Support" in page.content()
