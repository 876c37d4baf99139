"""The policy decided at open (each contract state), on a move and on a renewal; the due
times at each event, paused while waiting on the customer or on hold."""

import datetime as dt

import pytest

from catalog.models import Department
from entitlements import services as entitlement_services
from entitlements.models import BillingResponsibility, Deployment, SupportContract
from sla.models import SlaPolicy, SlaTarget
from sla.policy import Reason
from tests.factories import TicketFactory
from tickets import services
from tickets.models import Ticket, TicketEvent

from .conftest import MEXICO

pytestmark = pytest.mark.django_db


def local(*args):
    return dt.datetime(*args, tzinfo=MEXICO)


def config_ticket(contact, deployment="DEP-1001", br="BR-1001"):
    kwargs = {"billing_responsibility": BillingResponsibility.objects.get(code=br)} if br else {}
    return TicketFactory.create(requester=contact, department_code="freepbx-configuration",
                                deployment=Deployment.objects.get(code=deployment), **kwargs)


def test_active_standard_contract_gives_8_business_hours(demo):
    ticket = config_ticket(demo["maria"])
    assert ticket.sla_policy.name == "Soporte Estándar"
    assert ticket.sla_reason == Reason.CONTRACT
    assert ticket.first_response_due_at == local(2026, 12, 8, 16, 30)
    assert ticket.sla_due_at == local(2026, 12, 8, 16, 30)
    assert ticket.sla_due_kind == "first_response"
    # 75 % of 480 minutes = 360: 30 on Monday, 330 from Tuesday 09:00.
    assert ticket.sla_risk_at == local(2026, 12, 8, 14, 30)


def test_premium_contract_gives_one_hour_round_the_clock(demo):
    ticket = config_ticket(demo["luis"], deployment="DEP-3001", br=None)
    assert ticket.sla_policy.name == "Soporte Premium"
    assert ticket.sla_due_at == local(2026, 12, 7, 18, 30)


def test_free_department_is_best_effort(demo):
    ticket = TicketFactory.create(requester=demo["ana"], department_code="sipstation-general")
    assert ticket.sla_reason == Reason.FREE_DEPARTMENT
    assert ticket.sla_policy.scope == SlaPolicy.Scope.FREE
    assert ticket.sla_due_at is None and ticket.first_response_due_at is None


def test_paid_department_without_contract_follows_the_no_contract_policy(demo):
    policy = SlaPolicy.objects.get(scope=SlaPolicy.Scope.NO_CONTRACT)
    SlaTarget.objects.create(policy=policy, priority=2, first_response_minutes=24 * 60)
    ticket = TicketFactory.create(requester=demo["maria"],
                                  department_code="pbxact-ucc-configuration")
    assert ticket.sla_reason == Reason.NO_CONTRACT
    assert ticket.sla_due_at == local(2026, 12, 8, 17, 30)


def test_plan_without_policy_falls_back_and_no_policy_at_all_is_best_effort(demo):
    Ticket.objects.update(sla_policy=None)  # the demo's tickets
    SlaPolicy.objects.filter(name="Soporte Estándar").delete()
    ticket = config_ticket(demo["maria"])
    assert ticket.sla_reason == Reason.NO_CONTRACT
    Ticket.objects.update(sla_policy=None)
    SlaPolicy.objects.filter(scope=SlaPolicy.Scope.NO_CONTRACT).delete()
    ticket = config_ticket(demo["maria"])
    assert ticket.sla_policy is None and ticket.sla_reason == Reason.NO_POLICY
    assert ticket.sla_due_at is None


def test_best_effort_department_ignores_the_contract(demo):
    Department.objects.filter(code="freepbx-configuration").update(best_effort=True)
    ticket = config_ticket(demo["maria"])
    assert ticket.sla_reason == Reason.FREE_DEPARTMENT


def test_a_move_to_a_free_department_changes_the_policy_with_an_event(demo, clock):
    ticket = config_ticket(demo["maria"])
    clock.advance(minutes=5)
    ticket = services.ticket_department_change(
        ticket=ticket, actor=demo["agent"],
        department=Department.objects.get(code="sipstation-general"), reason="wrong queue")
    assert ticket.sla_reason == Reason.FREE_DEPARTMENT and ticket.sla_due_at is None
    event = ticket.events.get(kind=TicketEvent.Kind.SLA_POLICY_CHANGED)
    assert event.data == {"old": "Soporte Estándar",
                          "new": "Departamentos gratuitos (mejor esfuerzo)",
                          "reason": "free_department", "cause": "department_changed"}


def test_a_renewal_applies_the_plan_policy_to_open_tickets(demo, clock):
    policy = SlaPolicy.objects.get(name="Soporte Estándar")
    plan = policy.contract_plan
    Ticket.objects.update(sla_policy=None)
    policy.delete()
    ticket = config_ticket(demo["maria"])
    assert ticket.sla_reason == Reason.NO_CONTRACT and ticket.sla_due_at is None
    policy = SlaPolicy.objects.create(name="Estándar 2027", scope=SlaPolicy.Scope.PLAN,
                                      contract_plan=plan)
    SlaTarget.objects.create(policy=policy, priority=2, first_response_minutes=120)
    contract = SupportContract.objects.get(deployment__code="DEP-1001")
    entitlement_services.contract_renew(contract_id=contract.pk, actor=demo["admin"])
    ticket.refresh_from_db()
    assert ticket.sla_policy == policy and ticket.sla_reason == Reason.CONTRACT
    assert ticket.sla_due_at == local(2026, 12, 7, 19, 30)  # 24x7 from the open
    event = ticket.events.get(kind=TicketEvent.Kind.SLA_POLICY_CHANGED)
    assert event.data["cause"] == "contract_renewed" and event.actor == demo["admin"]
    # A second renewal changes nothing more.
    entitlement_services.contract_renew(contract_id=contract.pk)
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_POLICY_CHANGED).count() == 1


def test_agent_reply_meets_first_response_and_customer_reply_starts_next(demo, clock):
    ticket = config_ticket(demo["luis"], deployment="DEP-3001", br=None)
    clock.advance(minutes=20)
    services.agent_reply_create(ticket=ticket, agent=demo["agent"], body="Hello")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == clock.now
    assert ticket.first_response_due_at == local(2026, 12, 7, 18, 30)
    assert ticket.sla_due_at is None  # waiting on the customer: nothing owed
    clock.advance(hours=3)
    services.ticket_reply_create(ticket=ticket, author=demo["luis"], body="Still broken")
    ticket.refresh_from_db()
    assert ticket.sla_due_kind == "next_response"
    assert ticket.sla_due_at == clock.now + dt.timedelta(hours=4)


def test_resolution_clock_pauses_on_hold_and_resumes(demo, clock):
    SlaTarget.objects.filter(policy__name="Soporte Premium").update(resolution_minutes=600)
    ticket = config_ticket(demo["luis"], deployment="DEP-3001", br=None)
    assert ticket.resolution_due_at == clock.now + dt.timedelta(minutes=600)
    clock.advance(minutes=100)
    services.ticket_status_change(ticket=ticket, actor=demo["agent"],
                                  status=Ticket.Status.ON_HOLD)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at is None and ticket.resolution_elapsed_minutes == 100
    assert ticket.sla_due_at is None
    clock.advance(days=2)  # on hold: the clock does not run
    services.ticket_status_change(ticket=ticket, actor=demo["agent"],
                                  status=Ticket.Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == clock.now + dt.timedelta(minutes=500)
    # The response clock restarts from the resumption (nothing was answered yet).
    assert ticket.response_due_at == clock.now + dt.timedelta(minutes=60)
    clock.advance(minutes=50)
    services.ticket_resolve(ticket=ticket, actor=demo["agent"])
    ticket.refresh_from_db()
    assert ticket.resolution_elapsed_minutes == 150 and ticket.sla_due_at is None
    clock.advance(hours=1)  # reopened by the customer: resumes where it stopped
    services.ticket_reply_create(ticket=ticket, author=demo["luis"], body="It is back")
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == clock.now + dt.timedelta(minutes=450)


def test_priority_change_recomputes_from_its_target(demo, clock):
    SlaTarget.objects.filter(policy__name="Soporte Premium", priority=4).update(
        first_response_minutes=15)
    ticket = config_ticket(demo["luis"], deployment="DEP-3001", br=None)
    services.ticket_priority_change(ticket=ticket, actor=demo["agent"],
                                    priority=Ticket.Priority.URGENT)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == local(2026, 12, 7, 17, 45)


def test_waiting_on_the_customer_pauses_resolution_in_business_hours(demo, clock):
    SlaTarget.objects.filter(policy__name="Soporte Estándar").update(resolution_minutes=960)
    ticket = config_ticket(demo["maria"])
    # 960 minutes: 30 on Monday, 540 on Tuesday, 390 on Wednesday.
    assert ticket.resolution_due_at == local(2026, 12, 9, 15, 30)
    clock.set(2026, 12, 8, 10, 0)  # 90 business minutes used (30 Monday, 60 Tuesday)
    services.agent_reply_create(ticket=ticket, agent=demo["agent"], body="Which version?")
    ticket.refresh_from_db()
    assert ticket.resolution_elapsed_minutes == 90 and ticket.resolution_due_at is None
    clock.set(2026, 12, 12, 11, 0)  # Saturday: the customer answers
    services.ticket_reply_create(ticket=ticket, author=demo["maria"], body="16.0.40")
    ticket.refresh_from_db()
    # 870 minutes left from Monday 09:00: 540 Monday, 330 Tuesday -> 14:30.
    assert ticket.resolution_due_at == local(2026, 12, 15, 14, 30)
    assert ticket.response_due_at == local(2026, 12, 14, 17, 0)
    assert ticket.sla_due_kind == "next_response"
    assert ticket.sla_due_at == ticket.response_due_at
