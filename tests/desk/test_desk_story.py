"""The "Done when" story of the agent workspace, through the desk as the agent uses it."""

import pytest
from django.urls import reverse

from credits.selectors import credit_balance_minutes
from tests.factories import department
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_agent_claims_replies_logs_time_moves_and_resolves(client, two_orgs, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    paid = freepbx_configuration_ticket(two_orgs, subject="Configure the FreePBX trunk")
    ticket, acme = paid.ticket, two_orgs.acme
    queue = reverse("admin:desk_queue")
    page = reverse("admin:desk_ticket", args=[ticket.pk])

    def do(name, **data):
        return client.post(reverse("admin:desk_action", args=[ticket.pk, name]),
                           {"action": name, **data})
    mailoutbox.clear()

    # Claims María's ticket from the unassigned queue.
    assert ticket.number in client.get(queue + "?view=unassigned").content.decode()
    client.post(reverse("admin:desk_bulk"), {"ticket": [ticket.pk], "assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == two_orgs.agent and ticket.status == Ticket.Status.OPEN

    # Replies: María gets the email, threaded by the subject tag.
    with django_capture_on_commit_callbacks(execute=True):
        do("reply", kind="reply", body="I have reconfigured the trunk.", send_anyway="on")
    assert [m.to for m in mailoutbox] == [[two_orgs.maria.email]]
    assert f"[#{ticket.number}]" in mailoutbox[0].subject

    # Logs 25 minutes on the FreePBX configuration ticket: Acme's balance drops by 25.
    assert credit_balance_minutes(organization_id=acme.pk) == 420
    do("time", minutes="25", note="Trunk configuration")
    assert credit_balance_minutes(organization_id=acme.pk) == 395
    html = client.get(page).content.decode()
    assert 'id="ticket-minutes">25<' in html and 'id="balance" class="">395<' in html

    # Moves it to a free department: the 25 minutes are refunded.
    do("update", status="open", priority=2, assignee=two_orgs.agent.pk,
       department=department("sipstation-general").pk,
       reason="It is a SIPStation trunk question")
    assert credit_balance_minutes(organization_id=acme.pk) == 420

    # Resolves it.
    do("resolve")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    kinds = list(ticket.events.order_by("id").values_list("kind", flat=True))
    for kind in (TicketEvent.Kind.ASSIGNED, TicketEvent.Kind.MESSAGE_ADDED,
                 TicketEvent.Kind.TIME_LOGGED, TicketEvent.Kind.DEPARTMENT_CHANGED,
                 TicketEvent.Kind.CREDITS_REFUNDED, TicketEvent.Kind.RESOLVED):
        assert kind in kinds
    assert ticket.messages.filter(kind=Message.Kind.AGENT).count() == 1
