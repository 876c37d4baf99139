import pytest

from credits.models import LedgerEntry
from credits.selectors import credit_balance_minutes, ticket_minutes_consumed
from tests.factories import TicketFactory, department, upload
from tests.tickets.agent_setup import freepbx_configuration_ticket, give_credits
from tickets import exceptions as exc
from tickets import services
from tickets.models import CannedReply, Message, Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db


def kinds(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


# --- assign, status, priority ------------------------------------------------------------

def test_claiming_a_new_ticket_assigns_and_opens_it(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket = services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=two_orgs.agent)
    assert ticket.assignee == two_orgs.agent and ticket.status == Ticket.Status.OPEN
    assert kinds(ticket)[-2:] == [TicketEvent.Kind.ASSIGNED, TicketEvent.Kind.STATUS_CHANGED]
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert event.data == {"old": None, "new": two_orgs.agent.pk,
                          "new_email": two_orgs.agent.email}
    assert event.actor == two_orgs.agent


def test_unassign_and_same_assignee_records_nothing_twice(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=two_orgs.agent)
    services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=two_orgs.agent)
    services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=None)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 2


def test_customers_cannot_act_as_agents_nor_be_assigned(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with pytest.raises(exc.AgentActionRefused):
        services.ticket_assign(ticket=ticket, actor=two_orgs.maria, assignee=two_orgs.agent)
    with pytest.raises(exc.AgentActionRefused) as caught:
        services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=two_orgs.juan)
    assert str(exc.ASSIGNEE_NOT_STAFF) in caught.value.messages
    with pytest.raises(exc.AgentActionRefused):
        services.time_entry_create(ticket=ticket, agent=two_orgs.maria, minutes=5)


@pytest.mark.parametrize("status,waiting", [
    (Ticket.Status.ON_HOLD, False), (Ticket.Status.WAITING_CUSTOMER, False),
    (Ticket.Status.OPEN, True),
])
def test_status_change_records_an_event_and_sets_waiting(two_orgs, status, waiting):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket = services.ticket_status_change(ticket=ticket, actor=two_orgs.agent, status=status)
    assert ticket.status == status
    assert (ticket.waiting_since is not None) is waiting
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
    assert event.data == {"old": "new", "new": status}


def test_status_resolved_resolves_and_another_status_reopens(two_orgs, mailoutbox):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket = services.ticket_status_change(ticket=ticket, actor=two_orgs.agent,
                                           status=Ticket.Status.RESOLVED)
    assert ticket.status == Ticket.Status.RESOLVED and ticket.resolved_at is not None
    ticket = services.ticket_status_change(ticket=ticket, actor=two_orgs.agent,
                                           status=Ticket.Status.OPEN)
    assert ticket.resolved_at is None and ticket.waiting_since is not None
    assert kinds(ticket)[-3:] == [TicketEvent.Kind.RESOLVED, TicketEvent.Kind.REOPENED,
                                  TicketEvent.Kind.STATUS_CHANGED]


def test_invalid_status_and_priority_are_refused(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with pytest.raises(exc.InvalidTicketInput):
        services.ticket_status_change(ticket=ticket, actor=two_orgs.agent, status="closed")
    with pytest.raises(exc.InvalidTicketInput):
        services.ticket_priority_change(ticket=ticket, actor=two_orgs.agent, priority=9)


def test_priority_change_records_old_and_new(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket = services.ticket_priority_change(ticket=ticket, actor=two_orgs.agent,
                                             priority=Ticket.Priority.URGENT)
    assert ticket.priority == Ticket.Priority.URGENT
    assert ticket.events.get(kind=TicketEvent.Kind.PRIORITY_CHANGED).data == {
        "old": Ticket.Priority.NORMAL, "new": Ticket.Priority.URGENT}


# --- time and credits --------------------------------------------------------------------

def test_time_on_a_paid_department_debits_the_paying_organization_at_once(two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    entry = services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=25,
                                       note="Trunk registration fixed")
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 395
    assert ticket_minutes_consumed(ticket_id=paid.ticket.pk) == 25
    ledger = LedgerEntry.objects.get(idempotency_key=f"time:{entry.pk}")
    assert (ledger.kind, ledger.minutes, ledger.ticket_number) == (
        LedgerEntry.Kind.TIME_DEBIT, -25, paid.ticket.number)
    event = paid.ticket.events.get(kind=TicketEvent.Kind.TIME_LOGGED)
    assert event.data["minutes"] == 25 and event.data["balance_after_minutes"] == 395


def test_time_may_overdraw_the_balance(two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=500)
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == -80


def test_time_on_a_free_department_consumes_no_credits(two_orgs):
    give_credits(two_orgs.acme)
    ticket = TicketFactory.create(requester=two_orgs.maria)  # SIPStation: free
    services.time_entry_create(ticket=ticket, agent=two_orgs.agent, minutes=30)
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420
    assert TimeEntry.objects.get(ticket=ticket).minutes == 30


@pytest.mark.parametrize("minutes", [0, -5, services.MAX_TIME_ENTRY_MINUTES + 1])
def test_time_entry_minutes_must_be_positive_and_bounded(two_orgs, minutes):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with pytest.raises(exc.InvalidTicketInput):
        services.time_entry_create(ticket=ticket, agent=two_orgs.agent, minutes=minutes)
    assert not TimeEntry.objects.exists()


def test_a_wrong_entry_is_reversed_and_refunded_once(two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    entry = services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=40)
    reversal = services.time_entry_reverse(entry=entry, actor=two_orgs.agent,
                                           reason="Logged on the wrong ticket")
    assert reversal.minutes == -40 and reversal.reverses == entry
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420
    assert LedgerEntry.objects.filter(idempotency_key=f"time-reverse:{entry.pk}",
                                      kind=LedgerEntry.Kind.REFUND, minutes=40).exists()
    with pytest.raises(exc.InvalidTicketInput) as caught:
        services.time_entry_reverse(entry=entry, actor=two_orgs.agent, reason="again")
    assert str(exc.TIME_ALREADY_REVERSED) in caught.value.messages
    with pytest.raises(exc.InvalidTicketInput):
        services.time_entry_reverse(entry=reversal, actor=two_orgs.agent, reason="x")
    entry.refresh_from_db()
    assert entry.minutes == 40  # never edited


# --- department changes ------------------------------------------------------------------

def test_moving_from_a_paid_to_a_free_department_refunds_the_ticket(two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=25)
    ticket = services.ticket_department_change(
        ticket=paid.ticket, actor=two_orgs.agent, department=department("sipstation-general"),
        reason="Question is about SIP trunks")
    assert ticket.department.code == "sipstation-general"
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420
    assert ticket_minutes_consumed(ticket_id=ticket.pk) == 0
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    # The agent's reason stays internal: the ledger (which the customer reads) says why plainly.
    assert refund.minutes == 25 and "Question is about SIP trunks" not in refund.reason
    assert ticket.number in refund.reason and "SIPStation" in refund.reason
    change = ticket.events.get(kind=TicketEvent.Kind.DEPARTMENT_CHANGED)
    assert change.data["old"] == "freepbx-configuration"
    assert change.data["new"] == "sipstation-general"
    assert ticket.events.get(kind=TicketEvent.Kind.CREDITS_REFUNDED).data["minutes"] == 25


def test_reversing_after_a_refunding_move_refunds_nothing_more(two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    entry = services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=25)
    services.ticket_department_change(ticket=paid.ticket, actor=two_orgs.agent,
                                      department=department("sipstation-general"))
    services.time_entry_reverse(entry=entry, actor=two_orgs.agent, reason="wrong")
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420


def test_moving_between_free_departments_refunds_nothing(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    services.ticket_department_change(ticket=ticket, actor=two_orgs.agent,
                                      department=department("faxstation-general"))
    assert not LedgerEntry.objects.exists()
    assert not ticket.events.filter(kind=TicketEvent.Kind.CREDITS_REFUNDED).exists()


def test_department_change_is_checked_against_the_entitlement_rules(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    closed = department("faxstation-general")
    closed.is_active = False
    closed.save()
    with pytest.raises(exc.DepartmentUnavailable):
        services.ticket_department_change(ticket=ticket, actor=two_orgs.agent,
                                          department=closed)
    ticket.refresh_from_db()
    assert ticket.department.code == "sipstation-general"
    assert not ticket.events.filter(kind=TicketEvent.Kind.DEPARTMENT_CHANGED).exists()


def test_same_department_is_refused(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with pytest.raises(exc.InvalidTicketInput):
        services.ticket_department_change(ticket=ticket, actor=two_orgs.agent,
                                          department=ticket.department)


# --- replies -----------------------------------------------------------------------------

def test_agent_reply_is_emailed_with_the_subject_tag_and_waits_on_customer(
        two_orgs, mailoutbox, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.agent_reply_create(ticket=ticket, agent=two_orgs.agent,
                                              body="Please send a SIP trace.",
                                              files=[upload("howto.txt")])
    assert message.kind == Message.Kind.AGENT and message.source == Message.Source.ADMIN
    assert message.attachments.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_CUSTOMER and ticket.waiting_since is None
    assert len(mailoutbox) == 1
    assert f"[#{ticket.number}]" in mailoutbox[0].subject
    assert mailoutbox[0].to == [two_orgs.maria.email]


def test_internal_note_is_never_emailed(two_orgs, mailoutbox,
                                       django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.agent_reply_create(ticket=ticket, agent=two_orgs.agent,
                                              body="Customer is on an old firmware.",
                                              internal=True)
    assert message.kind == Message.Kind.NOTE
    assert mailoutbox == []
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_canned_reply_save_records_its_author(two_orgs):
    reply = services.canned_reply_save(
        reply=CannedReply(title="Ask for a SIP trace", body="Please send a SIP trace."),
        actor=two_orgs.agent)
    assert reply.created_by == two_orgs.agent
    with pytest.raises(exc.AgentActionRefused):
        services.canned_reply_save(reply=CannedReply(title="x", body="y"), actor=two_orgs.maria)


def test_items_of_another_product_leave_the_ticket_when_it_moves(two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    ticket = services.ticket_department_change(ticket=paid.ticket, actor=two_orgs.agent,
                                               department=department("sipstation-general"))
    ticket.refresh_from_db()
    assert ticket.deployment is None
    assert ticket.billing_responsibility == paid.billing
    event = ticket.events.get(kind=TicketEvent.Kind.DEPARTMENT_CHANGED)
    assert event.data["dropped_items"] == ["DEP-1001"]


def test_items_of_the_same_product_stay_and_paid_time_is_refunded(two_orgs):
    from catalog.models import Product
    from tests.factories import DeploymentFactory, SupportContractFactory

    give_credits(two_orgs.acme)
    deployment = DeploymentFactory(organization=two_orgs.acme, code="DEP-2001",
                                   product=Product.objects.get(code="pbxact-uc"))
    SupportContractFactory(deployment=deployment)
    ticket = TicketFactory.create(requester=two_orgs.maria,
                                  department_code="pbxact-configuration",
                                  deployment=deployment)
    services.time_entry_create(ticket=ticket, agent=two_orgs.agent, minutes=30)
    ticket = services.ticket_department_change(ticket=ticket, actor=two_orgs.agent,
                                               department=department("pbxact-uc-bugs"),
                                               reason="It is a bug")
    ticket.refresh_from_db()
    assert ticket.deployment == deployment
    assert ticket.events.get(kind=TicketEvent.Kind.DEPARTMENT_CHANGED).data[
        "dropped_items"] == []
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420
