"""At-risk and breach warnings: once each, catch-up after downtime, none for resolved or
answered tickets, the assignee or else the agents, optional priority raise on breach."""

import pytest

from accounts.models import User
from entitlements.models import BillingResponsibility, Deployment
from outbox.models import OutboxEmail
from sla.models import SlaPolicy
from tests.factories import StaffFactory, TicketFactory
from tickets import services
from tickets.models import Ticket, TicketEvent
from tickets.sla_warnings import sla_warnings_run

pytestmark = pytest.mark.django_db


def config_ticket(contact):
    return TicketFactory.create(
        requester=contact, department_code="freepbx-configuration", subject="Colas",
        deployment=Deployment.objects.get(code="DEP-1001"),
        billing_responsibility=BillingResponsibility.objects.get(code="BR-1001"))


def warnings(kind):
    return list(OutboxEmail.objects.filter(kind=f"sla_{kind}").order_by("pk"))


@pytest.fixture
def ticket(demo, clock):
    Ticket.objects.all().delete()  # the demo's own tickets
    return config_ticket(demo["maria"])  # Monday 17:30, due Tuesday 16:30, at risk 14:30


def test_at_risk_then_breach_each_once_to_the_agents(ticket, demo, clock):
    clock.set(2026, 12, 8, 14, 0)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}
    clock.set(2026, 12, 8, 14, 30)
    assert sla_warnings_run() == {"at_risk": 1, "breached": 0}
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}
    [risk] = warnings("at_risk")
    assert risk.to_address == "agent@helpdesk.example"  # unassigned: the Agents group
    assert ticket.number in risk.subject and "at risk" in risk.subject
    clock.set(2026, 12, 8, 16, 30)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 1}
    clock.advance(hours=5)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}
    [breach] = warnings("breached")
    assert "breached" in breach.subject
    assert "Dec. 8, 2026, 10:30 p.m." in breach.body_text  # the agent's time zone (UTC)
    assert f"/admin/desk/ticket/{ticket.pk}/" in breach.body_text  # straight to the desk
    kinds = list(ticket.events.filter(kind__in=[TicketEvent.Kind.SLA_AT_RISK,
                                                TicketEvent.Kind.SLA_BREACHED])
                 .values_list("kind", flat=True))
    assert kinds == ["sla_at_risk", "sla_breached"]


def test_catch_up_after_downtime_sends_the_breach_only(ticket, clock):
    clock.set(2026, 12, 10, 9, 0)  # the worker was down for two days
    assert sla_warnings_run() == {"at_risk": 0, "breached": 1}
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}
    assert not warnings("at_risk") and len(warnings("breached")) == 1


def test_catch_up_at_risk_when_not_yet_breached(ticket, clock):
    clock.set(2026, 12, 8, 15, 45)
    assert sla_warnings_run() == {"at_risk": 1, "breached": 0}


def test_the_assignee_alone_is_warned(ticket, demo, clock):
    StaffFactory(email="other@helpdesk.example")
    second = StaffFactory(email="second@helpdesk.example", time_zone="Europe/Madrid",
                          language="es")
    services.ticket_assign(ticket=ticket, actor=demo["agent"], assignee=second)
    clock.set(2026, 12, 8, 16, 31)
    sla_warnings_run()
    [breach] = warnings("breached")
    assert breach.to_address == "second@helpdesk.example"
    assert "incumplido" in breach.subject


def test_no_warning_for_resolved_or_answered_tickets(ticket, demo, clock):
    other = config_ticket(demo["maria"])
    services.ticket_resolve(ticket=ticket, actor=demo["agent"])
    services.agent_reply_create(ticket=other, agent=demo["agent"], body="Done")
    clock.set(2026, 12, 11, 12, 0)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}
    assert not OutboxEmail.objects.filter(kind__startswith="sla_").exists()


def test_a_new_due_time_warns_again(ticket, demo, clock):
    clock.set(2026, 12, 8, 16, 30)
    sla_warnings_run()
    services.agent_reply_create(ticket=ticket, agent=demo["agent"], body="Which version?")
    clock.set(2026, 12, 8, 17, 0)
    services.ticket_reply_create(ticket=ticket, author=demo["maria"], body="16")
    clock.set(2026, 12, 9, 17, 0)  # next response due Wednesday 16:00 (8 business hours)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 1}
    assert len(warnings("breached")) == 2


def test_policy_may_raise_the_priority_on_breach(ticket, clock):
    SlaPolicy.objects.filter(name="Soporte Estándar").update(raise_priority_on_breach=True)
    due = Ticket.objects.get(pk=ticket.pk).sla_due_at
    clock.set(2026, 12, 8, 16, 30)
    sla_warnings_run()
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.HIGH and ticket.sla_due_at == due
    assert ticket.events.filter(kind=TicketEvent.Kind.PRIORITY_CHANGED).get().data == {
        "old": 2, "new": 3, "reason": "sla_breached"}
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}


def test_inactive_agents_are_not_warned(ticket, clock):
    User.objects.filter(email="agent@helpdesk.example").update(is_active=False)
    clock.set(2026, 12, 8, 16, 30)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 1}
    assert not warnings("breached")


def test_policy_may_reassign_on_breach(ticket, demo, clock):
    lead = StaffFactory(email="lead@helpdesk.example")
    SlaPolicy.objects.filter(name="Soporte Estándar").update(reassign_on_breach_to=lead)
    clock.set(2026, 12, 8, 16, 30)
    sla_warnings_run()
    ticket.refresh_from_db()
    assert ticket.assignee == lead
    assert [e.to_address for e in warnings("breached")] == ["lead@helpdesk.example"]
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert event.data["reason"] == "sla_breached" and event.actor is None
