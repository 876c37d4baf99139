"""The ticket services' side of service levels: decide the policy (at open, on a move, on
a contract renewal) and recompute the due times after each event (sla.clock). Called
inside the services' transactions on the locked ticket; the caller saves the fields."""

from __future__ import annotations

from sla import clock
from sla import policy as sla_policy

from . import signals
from .models import TicketEvent

POLICY_FIELDS = ["sla_policy", "sla_reason"]
FIELDS = POLICY_FIELDS + clock.CLOCK_FIELDS + ["first_responded_at"]


def sla_refresh(*, ticket, now) -> None:
    """Recompute the due times of the ticket's policy for its priority."""
    target, schedule = sla_policy.clock_inputs(policy_id=ticket.sla_policy_id,
                                               priority=ticket.priority)
    former_due = ticket.first_response_due_at
    clock.refresh(ticket, target=target, schedule=schedule, now=now)
    if former_due != ticket.first_response_due_at:
        # the compliance counts a ticket on its due day: both days' figures move
        signals.report_days_touched(former_due, ticket.first_response_due_at)


def sla_policy_apply(*, ticket, contract_plan_id, actor, now, cause: str,
                     record_event: bool = True) -> bool:
    """Decide the policy from the entitlement decision's contract plan; when it differs
    from the ticket's, set it (with an audit event unless at creation) and recompute the
    due times. Returns whether it changed."""
    choice = sla_policy.policy_decide(department=ticket.department,
                                      contract_plan_id=contract_plan_id)
    new_id = choice.policy.pk if choice.policy else None
    if new_id == ticket.sla_policy_id and choice.reason == ticket.sla_reason:
        return False
    if record_event:
        TicketEvent.objects.create(
            ticket=ticket, actor=actor, kind=TicketEvent.Kind.SLA_POLICY_CHANGED,
            data={"old": ticket.sla_policy.name if ticket.sla_policy_id else "",
                  "new": choice.policy.name if choice.policy else "",
                  "reason": choice.reason, "cause": cause})
    former_due = ticket.first_response_due_at
    ticket.sla_policy = choice.policy
    ticket.sla_reason = choice.reason
    sla_refresh(ticket=ticket, now=now)
    # the compliance is per policy: the due day moves to the new policy's figures
    signals.report_days_touched(former_due, ticket.first_response_due_at)
    return True


def on_contract_renewed(sender, *, deployment_id, plan_id, actor=None, today=None, **kwargs):
    """A renewed contract: the deployment's open tickets follow its plan's policy (with an
    audit event where that changes their policy)."""
    from django.utils import timezone

    from .models import Ticket

    now = timezone.now()
    tickets = (Ticket.objects.select_for_update(of=("self",))
               .select_related("department", "sla_policy")
               .filter(deployment_id=deployment_id, status__in=Ticket.OPEN_STATUSES)
               .order_by("pk"))
    for ticket in tickets:
        if sla_policy_apply(ticket=ticket, contract_plan_id=plan_id, actor=actor, now=now,
                            cause="contract_renewed"):
            ticket.updated_at = now
            ticket.save(update_fields=[*FIELDS, "updated_at"])
