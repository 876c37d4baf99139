"""The desk's queue in a real Chromium: filters, selection and the bulk action (what the
admin's ticket list offered agents), then the agent's story with the mouse: reply, log
time, move to a free department (refund), resolve. Desktop and tablet widths, English and
Spanish, no horizontal scroll, no console error; screenshots under var/screenshots/desk."""

import pytest
from django.core import mail

from credits.selectors import credit_balance_minutes
from tests.e2e.test_desk_browser import _no_horizontal_scroll, _shot, _watch
from tests.factories import TicketFactory
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.integration, pytest.mark.browser]

TEXTS = {"en": {"updated": "2 tickets updated.", "apply": "Apply to the selected tickets",
                "filters": "Filters"},
         "es": {"updated": "2 tickets actualizados.",
                "apply": "Aplicar a los tickets seleccionados", "filters": "Filtros"}}


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.click(selector)


@pytest.mark.parametrize("width,language", [(1280, "en"), (1024, "es")])
def test_filter_select_and_change_tickets_in_bulk(browser, live_server, transactional_db,
                                                  two_orgs, width, language):
    agent = make_agent(two_orgs.agent)
    agent.language = language
    agent.save(update_fields=["language"])
    first, second = (TicketFactory.create(requester=two_orgs.maria, subject=f"Trunk {i}")
                     for i in range(2))
    fax = TicketFactory.create(requester=two_orgs.ana, department_code="faxstation-general")
    page = browser.new_page(viewport={"width": width, "height": 800}, locale=language)
    errors = _watch(page)
    base, text = live_server.url, TEXTS[language]

    page.goto(f"{base}/admin/login/?next=/admin/desk/%3Fview%3Dall")
    page.fill("input[name=username]", agent.email)
    page.fill("input[name=password]", two_orgs.password)
    submit(page, "form:not(.lang-switch) [type=submit]")
    page.click(f"summary:has-text('{text['filters']}')")
    page.select_option("#desk-filters select[name=product]", label="SIPStation")
    submit(page, "#desk-filters button[type=submit]")
    assert "product=" in page.url and fax.number not in page.inner_text("#desk-rows")
    _no_horizontal_scroll(page)
    _shot(page, f"bulk-filtered-{width}-{language}")

    for ticket in (first, second):
        page.check(f"input.desk-select[value='{ticket.pk}']")
    page.select_option("#desk-bulk select[name=assignee]", "me")
    page.select_option("#desk-bulk select[name=priority]", str(Ticket.Priority.HIGH))
    submit(page, f"#desk-bulk button:has-text('{text['apply']}')")
    assert text["updated"] in page.content()
    assert "product=" in page.url  # back to the same filtered queue
    assert set(Ticket.objects.filter(pk__in=[first.pk, second.pk]).values_list(
        "assignee", "priority")) == {(agent.pk, Ticket.Priority.HIGH)}
    _no_horizontal_scroll(page)
    _shot(page, f"bulk-done-{width}-{language}")
    assert errors == []


def test_agent_story_with_the_mouse(browser, live_server, transactional_db, two_orgs):
    make_agent(two_orgs.agent)
    ticket = freepbx_configuration_ticket(two_orgs, subject="Configure the FreePBX trunk").ticket
    mail.outbox.clear()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = _watch(page)
    base = live_server.url

    page.goto(f"{base}/admin/login/?next=/admin/desk/%3Fview%3Dunassigned")
    page.fill("input[name=username]", two_orgs.agent.email)
    page.fill("input[name=password]", two_orgs.password)
    submit(page, "form:not(.lang-switch) [type=submit]")
    page.check(f"input.desk-select[value='{ticket.pk}']")
    page.select_option("#desk-bulk select[name=assignee]", "me")
    submit(page, "#desk-bulk button[type=submit]")
    assert "1 ticket updated." in page.content()

    page.goto(f"{base}/admin/desk/ticket/{ticket.pk}/")
    page.fill("#desk-reply textarea[name=body]", "I have reconfigured the trunk.")
    submit(page, "#desk-send")
    assert "Reply sent to the customer." in page.content()

    page.fill("#desk-time input[name=minutes]", "25")
    page.fill("#desk-time input[name=note]", "Trunk configuration")
    submit(page, "#desk-time button[type=submit]")
    assert page.inner_text("#balance") == "395"
    assert page.inner_text("#ticket-minutes") == "25"

    page.select_option("#desk-update select[name=department]",
                       label="SIPStation · SIPStation General Support")
    page.fill("#desk-update input[name=reason]", "SIPStation trunk question")
    submit(page, "#desk-update-save")
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420

    submit(page, "#desk-resolve button[type=submit]")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.assignee == two_orgs.agent
    assert ticket.messages.filter(kind=Message.Kind.AGENT).count() == 1
    assert any(f"[#{ticket.number}]" in m.subject and m.to == [two_orgs.maria.email]
               for m in mail.outbox)
    assert "moved it from FreePBX Configuration to SIPStation General Support" in page.content()
    _no_horizontal_scroll(page)
    assert errors == []
