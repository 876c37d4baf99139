"""Which service-level policy applies to a ticket, and why.

Decided from the entitlement decision that opened the department (its contract plan, when
the ticket's deployment has an active contract), at ticket open, on a move to another
department and on a contract renewal (tickets.services records the change and its event).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from catalog import config_memo

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
    policies = config_memo.memoized("sla:policies", _policies)
    for scope, plan_id, reason in choices:
        policy = policies.get((scope, plan_id))
        if policy is not None:
            return PolicyChoice(policy=policy, reason=reason)
    return PolicyChoice(policy=None, reason=Reason.NO_POLICY)


def _policies() -> dict[tuple[str, int | None], SlaPolicy]:
    """The first policy (by name) of each (scope, contract plan): what policy_decide picks."""
    policies: dict[tuple[str, int | None], SlaPolicy] = {}
    for policy in SlaPolicy.objects.order_by("name", "pk"):
        policies.setdefault((policy.scope, policy.contract_plan_id), policy)
    return policies


def _clock_inputs() -> dict[tuple[int, int], tuple]:
    """(policy id, priority): (target, schedule) of every target."""
    from .models import SupportCalendar

    schedules = {calendar.pk: calendar.schedule() for calendar in
                 SupportCalendar.objects.prefetch_related("hours", "holidays")}
    inputs: dict[tuple[int, int], tuple] = {}
    for target in SlaTarget.objects.select_related("policy").order_by("policy_id", "priority",
                                                                       "pk"):
        calendar_id = target.policy.calendar_id
        inputs.setdefault((target.policy_id, target.priority), (
            target, schedules.get(calendar_id) if calendar_id is not None else None))
    return inputs


def clock_inputs(*, policy_id: int | None, priority: int):
    """(target, schedule) of a policy for one priority: (None, None) when it has no target
    for it (best effort); schedule None means 24x7. From the configuration memo (no query
    while the service levels are unchanged); shared by the process: read them only."""
    if policy_id is None:
        return None, None
    return config_memo.memoized("sla:clock-inputs", _clock_inputs).get(
        (policy_id, priority), (None, None))
