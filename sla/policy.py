"""Which service-level policy applies to a ticket, and why.

Decided from the entitlement decision that opened the department (its contract plan, when
the ticket's deployment has an active contract), at ticket open, on a move to another
department and on a contract renewal (tickets.services records the change and its event).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import SlaPolicy, SlaTarget


class Reason:
    CONTRACT = "contract"
    NO_CONTRACT = "no_contract"
    FREE_DEPARTMENT = "free_department"
    NO_POLICY = "no_policy"

    LABELS = {
        CONTRACT: _("Contract plan of the deployment"),
        NO_CONTRACT: _("Customer without a contract"),
        FREE_DEPARTMENT: _("Free department"),
        NO_POLICY: _("No policy defined: best effort"),
    }
    CHOICES = list(LABELS.items())


@dataclass(frozen=True)
class PolicyChoice:
    policy: SlaPolicy | None
    reason: str


def policy_decide(*, department, contract_plan_id: int | None) -> PolicyChoice:
    """The policy for a ticket in `department` whose entitlement decision found an active
    contract of `contract_plan_id` (None: no contract). A best-effort department follows
    the free policy whatever the contract; an active contract gives its plan's policy (the
    customers-without-contract one when the plan has none); a free department without a
    contract the free policy; a paid one the customers-without-contract policy."""
    if department.best_effort:
        choices = [(SlaPolicy.Scope.FREE, None, Reason.FREE_DEPARTMENT)]
    elif contract_plan_id is not None:
        choices = [(SlaPolicy.Scope.PLAN, contract_plan_id, Reason.CONTRACT),
                   (SlaPolicy.Scope.NO_CONTRACT, None, Reason.NO_CONTRACT)]
    elif not department.uses_credits:
        choices = [(SlaPolicy.Scope.FREE, None, Reason.FREE_DEPARTMENT)]
    else:
        choices = [(SlaPolicy.Scope.NO_CONTRACT, None, Reason.NO_CONTRACT)]
    for scope, plan_id, reason in choices:
        policy = SlaPolicy.objects.filter(scope=scope, contract_plan_id=plan_id).first()
        if policy is not None:
            return PolicyChoice(policy=policy, reason=reason)
    return PolicyChoice(policy=None, reason=Reason.NO_POLICY)


def clock_inputs(*, policy_id: int | None, priority: int):
    """(target, schedule) of a policy for one priority: (None, None) when it has no target
    for it (best effort); schedule None means 24x7."""
    if policy_id is None:
        return None, None
    target = (SlaTarget.objects.select_related("policy")
              .filter(policy_id=policy_id, priority=priority).first())
    if target is None:
        return None, None
    calendar_id = target.policy.calendar_id
    return target, (_schedule(calendar_id) if calendar_id is not None else None)


def _schedule(calendar_id: int):
    from .models import SupportCalendar

    calendar = (SupportCalendar.objects.prefetch_related("hours", "holidays")
                .get(pk=calendar_id))
    return calendar.schedule()
