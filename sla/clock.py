"""Due times of a ticket, computed at each event and stored on it.

Two clocks:
- the response clock runs while the ticket waits for us (`waiting_since` is set: new or
  open, the customer wrote last); its target is the first response until an agent has
  replied, the next response after. Waiting on the customer or on hold stops it; the
  customer's reply (or reopening) starts it again from that moment.
- the resolution clock runs while the ticket is new or open, pauses while waiting on the
  customer or on hold (the open minutes it ran are kept in `resolution_elapsed_minutes`)
  and resumes where it stopped; resolving stops it.

The ticket's next due time (`sla_due_at`, with `sla_risk_at` at 75 % of its target and
`sla_due_kind`) is the earlier of the two. Works on any object with the ticket's fields,
so the tickets app calls it from its services without this app knowing tickets.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass

from . import calendar as cal

RUNNING_STATUSES = ("new", "open")
RISK_FRACTION = 0.75

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"


def _risk_minutes(target: int) -> int:
    return math.ceil(target * RISK_FRACTION)


def _response(ticket, target, schedule):
    if target is None or ticket.waiting_since is None or ticket.status not in RUNNING_STATUSES:
        return None
    first = ticket.first_responded_at is None
    minutes = target.first_response_minutes if first else target.next_response_minutes
    if minutes is None:
        return None
    since = ticket.waiting_since
    return (cal.add_minutes(since, minutes, schedule),
            cal.add_minutes(since, _risk_minutes(minutes), schedule),
            FIRST_RESPONSE if first else NEXT_RESPONSE)


def _resolution(ticket, target, schedule, now: dt.datetime):
    running = ticket.status in RUNNING_STATUSES
    if ticket.resolution_clock_since is not None and not running:
        ticket.resolution_elapsed_minutes += cal.minutes_between(
            ticket.resolution_clock_since, now, schedule)
        ticket.resolution_clock_since = None
    elif running and ticket.resolution_clock_since is None:
        ticket.resolution_clock_since = now
    if not running or target is None or target.resolution_minutes is None:
        return None
    since, used = ticket.resolution_clock_since, ticket.resolution_elapsed_minutes
    minutes = target.resolution_minutes
    return (cal.add_minutes(since, max(0, minutes - used), schedule),
            cal.add_minutes(since, max(0, _risk_minutes(minutes) - used), schedule),
            RESOLUTION)


def refresh(ticket, *, target, schedule, now: dt.datetime) -> None:
    """Recompute the ticket's due times in place after an event at `now` (the caller has
    already applied the event's status, waiting_since and first_responded_at)."""
    response = _response(ticket, target, schedule)
    resolution = _resolution(ticket, target, schedule, now)
    if response is not None and response[2] == FIRST_RESPONSE:
        ticket.first_response_due_at = response[0]
    ticket.response_due_at = response[0] if response else None
    ticket.resolution_due_at = resolution[0] if resolution else None
    candidates = [c for c in (response, resolution) if c is not None]
    if candidates:
        due, risk, kind = min(candidates, key=lambda c: c[0])
        ticket.sla_due_at, ticket.sla_risk_at, ticket.sla_due_kind = due, risk, kind
    else:
        ticket.sla_due_at, ticket.sla_risk_at, ticket.sla_due_kind = None, None, ""


def state(ticket, *, now: dt.datetime) -> str:
    """on_track / at_risk / breached / "" (no due time)."""
    if ticket.sla_due_at is None:
        return ""
    return _running_state(ticket.sla_due_at, ticket.sla_risk_at, now)


def _running_state(due: dt.datetime, risk: dt.datetime | None, now: dt.datetime) -> str:
    """A running clock's state (no risk time: never at risk before the due time)."""
    if now >= due:
        return "breached"
    if risk is not None and now >= risk:
        return "at_risk"
    return "on_track"


CLOCK_FIELDS = ["first_response_due_at", "response_due_at", "resolution_due_at",
                "resolution_elapsed_minutes", "resolution_clock_since", "sla_due_at",
                "sla_risk_at", "sla_due_kind"]


# --- each due time of a ticket, for the agent's ticket page --------------------------------

PAUSED_STATUSES = ("waiting_customer", "on_hold")
MET, LATE, PAUSED, NOT_DUE = "met", "late", "paused", "not_due"


@dataclass(frozen=True)
class Due:
    """One clock: kind (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION), when it is due (or
    when it was met), and its state: on_track / at_risk / breached while it runs; paused
    (waiting on the customer or on hold); met / late once answered; not_due (we replied
    and the customer has not written since)."""

    kind: str
    state: str
    due_at: dt.datetime | None = None
    done_at: dt.datetime | None = None


def due_times(ticket, *, target, schedule, now: dt.datetime) -> list[Due]:
    """The ticket's clocks under its policy's target (none: best effort, an empty list),
    read from its stored fields without changing them."""
    if target is None or ticket.status == "resolved":
        return []
    paused = ticket.status in PAUSED_STATUSES
    dues = []
    if target.first_response_minutes is not None:
        dues.append(_first_response(ticket, target, schedule, now, paused))
    if target.next_response_minutes is not None and ticket.first_responded_at is not None:
        dues.append(_next_response(ticket, target, schedule, now, paused))
    if target.resolution_minutes is not None:
        dues.append(_resolution_due(ticket, target, schedule, now, paused))
    return dues


def _first_response(ticket, target, schedule, now, paused) -> Due:
    due_at = ticket.first_response_due_at
    if ticket.first_responded_at is not None:
        late = due_at is not None and ticket.first_responded_at > due_at
        return Due(FIRST_RESPONSE, LATE if late else MET, due_at, ticket.first_responded_at)
    if paused or ticket.waiting_since is None:
        return Due(FIRST_RESPONSE, PAUSED, due_at)
    due, risk, _kind = _response(ticket, target, schedule)
    return Due(FIRST_RESPONSE, _running_state(due, risk, now), due)


def _next_response(ticket, target, schedule, now, paused) -> Due:
    if paused:
        return Due(NEXT_RESPONSE, PAUSED)
    if ticket.waiting_since is None:
        return Due(NEXT_RESPONSE, NOT_DUE)
    due, risk, _kind = _response(ticket, target, schedule)
    return Due(NEXT_RESPONSE, _running_state(due, risk, now), due)


def _resolution_due(ticket, target, schedule, now, paused) -> Due:
    if paused or ticket.resolution_clock_since is None:
        return Due(RESOLUTION, PAUSED)
    due, risk, _kind = _resolution(copy.copy(ticket), target, schedule, now)
    return Due(RESOLUTION, _running_state(due, risk, now), due)
