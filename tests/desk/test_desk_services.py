"""The desk's services: one save for status, assignee, department and priority (all or
nothing, audited), moves with the department's records, macros, merges, and the history
told as sentences in the reader's language."""

import pytest
from django.utils import translation

from credits.models import LedgerEntry
from credits.selectors import credit_balance_minutes
from tests.factories import ModuleLicenceFactory, TicketFactory, department
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets import desk_selectors, desk_services, history, services
from tickets import exceptions as exc
from tickets.models import Macro, Message, Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(two_orgs):
    return make_agent(two_orgs.agent)


def kinds(ticket) -> list[str]:
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def test_update_applies_every_change_with_its_events(two_orgs, agent):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    updated = desk_services.ticket_update(
        ticket=ticket, actor=agent, status=Ticket.Status.ON_HOLD, priority=4, assignee=agent,
        department=department("faxstation-general"))
    assert updated.status == Ticket.Status.ON_HOLD and updated.priority == 4
    assert updated.assignee == agent and updated.department.code == "faxstation-general"
    assert {"department_changed", "assigned", "priority_changed", "status_changed"} <= set(
        kinds(ticket))


def test_update_is_all_or_nothing_when_the_move_is_refused(two_orgs, agent):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    before = kinds(ticket)
    with pytest.raises(exc.DepartmentUnavailable):
        desk_services.ticket_update(ticket=ticket, actor=agent, status=Ticket.Status.ON_HOLD,
                                    priority=4, assignee=agent,
                                    department=department("pbxact-configuration"))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.priority == 2
    assert ticket.assignee is None and ticket.department.code == "sipstation-general"
    assert kinds(ticket) == before


def test_update_refuses_a_non_staff_assignee_and_changes_nothing(two_orgs, agent):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with pytest.raises(exc.AgentActionRefused):
        desk_services.ticket_update(ticket=ticket, actor=agent, priority=4,
                                    assignee=two_orgs.juan)
    ticket.refresh_from_db()
    assert ticket.priority == 2


def test_refusal_is_in_the_agents_language_not_the_customers(two_orgs, agent):
    two_orgs.maria.language = "es"
    two_orgs.maria.save()
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with translation.override("en"), pytest.raises(exc.DepartmentUnavailable) as error:
        desk_services.ticket_update(ticket=ticket, actor=agent,
                                    department=department("freepbx-commercial-modules"))
    text = " ".join(error.value.messages)
    assert "Elija" not in text and "Indique" not in text


def test_move_with_the_organizations_module_and_the_preview(two_orgs, agent):
    paid = freepbx_configuration_ticket(two_orgs)
    module = ModuleLicenceFactory(deployment=paid.deployment, module_name="EndPoint Manager")
    target = department("freepbx-commercial-modules")
    fields = desk_selectors.move_fields(ticket=paid.ticket, department=target)
    assert [f.name for f in fields] == ["module_licence"]
    assert (module.pk, "EndPoint Manager (DEP-1001)") in fields[0].choices
    items = desk_selectors.move_items(ticket=paid.ticket, department=target,
                                      data={"module_licence": str(module.pk)})
    preview = desk_selectors.move_preview(ticket=paid.ticket, department=target, items=items)
    assert preview.allowed
    desk_services.ticket_update(ticket=paid.ticket, actor=agent, department=target,
                                items=items, reason="A module question")
    paid.ticket.refresh_from_db()
    assert paid.ticket.module_licence == module


def test_refund_is_stated_and_the_reason_stays_internal(two_orgs, agent):
    paid = freepbx_configuration_ticket(two_orgs)
    services.time_entry_create(ticket=paid.ticket, agent=agent, minutes=25)
    target = department("sipstation-general")
    preview = desk_selectors.move_preview(ticket=paid.ticket, department=target, items={})
    assert preview.refund_minutes == 25
    desk_services.ticket_update(ticket=paid.ticket, actor=agent, department=target,
                                reason="Es un tema de troncales")
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert "troncales" not in refund.reason and paid.ticket.number in refund.reason
    with translation.override("en"):
        agent_lines = [line.text for line in desk_selectors.ticket_history(ticket=paid.ticket)]
        customer_lines = [line.text for line in desk_selectors.ticket_history(
            ticket=paid.ticket, audience=history.CUSTOMER)]
    assert ("Alex Agent moved it from FreePBX Configuration to SIPStation General Support: "
            "25 minutes refunded — internal reason: Es un tema de troncales") in agent_lines
    assert not any("troncales" in line for line in customer_lines)
    assert customer_lines == [  # the customer's page and API say the same (ticket_timeline)
        "Opened by María García.", "25 minutes of agent time used credits.",
        "Moved from FreePBX Configuration to SIPStation General Support. That department "
        "does not use credits: the credits used were refunded. Details that do not apply "
        "there were removed.", "25 credits refunded."]


def test_history_sentences_in_english_and_spanish(two_orgs, agent):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    services.ticket_resolve(ticket=ticket, actor=agent)
    services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="Still broken",
                                 source=Message.Source.EMAIL)
    with translation.override("en"):
        en = [line.text for line in desk_selectors.ticket_history(ticket=ticket)]
    with translation.override("es"):
        es = [line.text for line in desk_selectors.ticket_history(ticket=ticket)]
    assert "María García reopened the ticket by email" in en
    assert "María García reabrió el ticket por correo electrónico" in es
    assert "Alex Agent resolved the ticket" in en
    assert not any("message_id" in line or "outbound_id" in line for line in en + es)


def test_macro_fills_the_reply_and_sets_status_assignee_priority(two_orgs, agent):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    macro = desk_services.macro_save(macro=Macro(
        title="Waiting for logs", body="Please send us the logs.",
        status=Ticket.Status.ON_HOLD, priority=3, assign=Macro.Assign.ME), actor=agent)
    message = desk_services.macro_apply(ticket=ticket, actor=agent, macro=macro)
    ticket.refresh_from_db()
    assert message.body == "Please send us the logs." and message.kind == Message.Kind.AGENT
    assert ticket.status == Ticket.Status.ON_HOLD and ticket.priority == 3
    assert ticket.assignee == agent


def test_merge_moves_messages_time_and_points_to_the_survivor(two_orgs, agent):
    paid = freepbx_configuration_ticket(two_orgs)
    other = TicketFactory.create(requester=two_orgs.juan, department_code="freepbx-configuration",
                                 subject="Same trunk", deployment=paid.deployment,
                                 billing_responsibility=paid.billing)
    services.time_entry_create(ticket=other, agent=agent, minutes=10)
    survivor = desk_services.ticket_merge(source=other, target=paid.ticket, actor=agent)
    other.refresh_from_db()
    assert other.merged_into == survivor and other.status == Ticket.Status.RESOLVED
    assert Message.objects.filter(ticket=other).count() == 0
    assert survivor.messages.count() == 2
    assert TimeEntry.objects.filter(ticket=survivor, minutes=10).exists()
    assert survivor.participants.filter(contact=two_orgs.juan).exists()
    assert TicketEvent.objects.filter(ticket=survivor, kind="merged_from").exists()


def test_merge_refuses_another_organization_and_itself(two_orgs, agent):
    a = TicketFactory.create(requester=two_orgs.maria)
    b = TicketFactory.create(requester=two_orgs.ana)
    with pytest.raises(exc.InvalidTicketInput) as error:
        desk_services.ticket_merge(source=a, target=b, actor=agent)
    assert error.value.messages == [str(exc.MERGE_OTHER_ORGANIZATION)]
    with pytest.raises(exc.InvalidTicketInput):
        desk_services.ticket_merge(source=a, target=a, actor=agent)


def test_mail_to_a_merged_ticket_threads_to_the_survivor(two_orgs, agent):
    from mailgateway.inbound.thread import _ticket

    a = TicketFactory.create(requester=two_orgs.maria)
    b = TicketFactory.create(requester=two_orgs.maria)
    desk_services.ticket_merge(source=a, target=b, actor=agent)
    assert _ticket(None, number=a.number) == b


@pytest.mark.parametrize("batch", [False, True])
def test_an_email_to_a_merged_ticket_lands_on_the_survivor(two_orgs, agent, batch):
    from mailgateway import services as mail_services
    from mailgateway.models import InboundMessage
    from tests.factories.mailgateway import raw_email

    merged = TicketFactory.create(requester=two_orgs.maria)
    survivor = TicketFactory.create(requester=two_orgs.maria)
    desk_services.ticket_merge(source=merged, target=survivor, actor=agent)
    row, _created = mail_services.inbound_message_store(
        raw=raw_email(from_addr=two_orgs.maria.email, subject=f"Re: {merged.subject_tag}",
                      body="Any news?"), source=InboundMessage.Source.PIPE)
    if batch:
        mail_services.inbound_messages_process(inbound_ids=[row.pk])
    else:
        mail_services.inbound_message_process(inbound_id=row.pk)
    assert survivor.messages.filter(body__contains="Any news?").exists()
    assert not merged.messages.exists()


def test_a_reversal_needs_a_reason(two_orgs, agent):
    paid = freepbx_configuration_ticket(two_orgs)
    entry = services.time_entry_create(ticket=paid.ticket, agent=agent, minutes=25)
    with pytest.raises(exc.InvalidTicketInput) as error:
        services.time_entry_reverse(entry=entry, actor=agent, reason="  ")
    assert error.value.messages == [str(exc.REVERSAL_REASON_REQUIRED)]
    services.time_entry_reverse(entry=entry, actor=agent, reason="Wrong ticket")
    with translation.override("en"):
        lines = [line.text for line in desk_selectors.ticket_history(ticket=paid.ticket)]
    assert "Alex Agent reversed an entry of 25 minutes: Wrong ticket" in lines
