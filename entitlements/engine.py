"""The entitlement rules engine: may this contact open a ticket in this department?

`evaluate` is the one function the submit wizard and ticket_create ask. This first
version opens every active department; the rules of support-matrix.md plug in here
without touching callers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    url: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    actions: tuple[Action, ...] = ()
    uses_credits: bool = False
    balance_minutes: int | None = None
    paying_organization_id: int | None = None
    extra: dict = field(default_factory=dict)


def evaluate(*, contact, department, deployment=None, hardware_item=None, module_licence=None,
             billing_responsibility=None, at: dt.datetime | None = None,
             lock: bool = False) -> Decision:
    at = at or timezone.now()
    paying = billing_responsibility.organization_id if billing_responsibility else contact.organization_id
    return Decision(
        allowed=bool(department.is_active),
        uses_credits=department.uses_credits,
        paying_organization_id=paying,
    )
