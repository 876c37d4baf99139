"""The reports' daily figures per department: computed live from the tickets, or read from
the roll-ups (reports.models) that reports.rollups keeps with the same `collect`.

Days are counted in REPORTS_TIME_ZONE (the support team's), for every reader, so that the
stored days are the reports' days. A day is read from the roll-ups when it is stored, not
marked dirty and before today; today, dirty and missing days, and any report filtered by
organization (the roll-ups have no organization dimension; one organization's tickets are
few and indexed) are computed live.

Durations are exact: the roll-ups keep every first-response and resolution duration of the
day in microseconds (sorted, packed 8 bytes each), so a median or a 90th percentile over
any set of days equals the one over the tickets.
"""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo
from array import array
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from sla.clock import PAUSED_STATUSES
from tickets.models import Ticket, TicketEvent
from tickets.services import STATUS_EVENT_KINDS

WAITING = PAUSED_STATUSES  # waiting on the customer or on hold: the clocks' pause
COUNTS, DURATIONS, COMPLIANCE = "counts", "durations", "compliance"
ALL_PARTS = frozenset({COUNTS, DURATIONS, COMPLIANCE})


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.REPORTS_TIME_ZONE)


def today() -> dt.date:
    return timezone.localdate(timezone=zone())


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone())


def durations() -> array:
    return array("q")


def pack(values) -> bytes:
    data = array("q", sorted(values))
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def unpack(data: bytes) -> array:
    values = array("q")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


@dataclass
class DayFigures:
    """One day and department."""

    new: int = 0
    resolved: int = 0
    waiting_in: int = 0
    waiting_out: int = 0
    # microseconds (array of signed 64-bit integers: compact, extended at C speed)
    first_response_us: array = field(default_factory=durations)
    resolution_us: array = field(default_factory=durations)


@dataclass
class Figures:
    days: dict[tuple[dt.date, int], DayFigures] = field(
        default_factory=lambda: defaultdict(DayFigures))
    # (day, department id, policy id) -> [due, met, late]
    compliance: dict[tuple[dt.date, int, int | None], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def add(self, other: Figures) -> None:
        for key, f in other.days.items():
            mine = self.days[key]
            mine.new += f.new
            mine.resolved += f.resolved
            mine.waiting_in += f.waiting_in
            mine.waiting_out += f.waiting_out
            mine.first_response_us += f.first_response_us
            mine.resolution_us += f.resolution_us
        for key, counts in other.compliance.items():
            self.compliance[key] = [a + b for a, b in zip(self.compliance[key], counts,
                                                          strict=True)]


@dataclass(frozen=True)
class Scope:
    """Which tickets: all, or those of some departments and/or one organization."""

    department_ids: frozenset[int] | None = None
    organization_id: int | None = None

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.department_ids is not None:
            q &= Q(**{f"{prefix}department_id__in": self.department_ids})
        if self.organization_id:
            q &= Q(**{f"{prefix}organization_id": self.organization_id})
        return q


def day_of(value: dt.datetime) -> dt.date:
    """The day of a moment in the reports' time zone."""
    return timezone.localtime(value, zone()).date()


def _grouped(qs, column: str, department: str = "department_id"):
    return qs.annotate(d=TruncDate(column, tzinfo=zone())).values("d", department).order_by()


def collect(start: dt.datetime, end: dt.datetime, *, scope: Scope = Scope(),
            parts=ALL_PARTS) -> Figures:
    """The figures of [start, end) computed from the tickets and their status events."""
    figures, tickets = Figures(), Ticket.objects.filter(scope.q())
    if COUNTS in parts:
        for r in _grouped(tickets.filter(created_at__gte=start, created_at__lt=end),
                          "created_at").annotate(n=Count("id")):
            figures.days[(r["d"], r["department_id"])].new = r["n"]
        _waiting(figures, start, end, scope)
    if COUNTS in parts and DURATIONS not in parts:
        for r in _grouped(tickets.filter(resolved_at__gte=start, resolved_at__lt=end),
                          "resolved_at").annotate(n=Count("id")):
            figures.days[(r["d"], r["department_id"])].resolved = r["n"]
    if DURATIONS in parts:
        for day, dep, took in _durations(tickets, "resolved_at", start, end):
            figures.days[(day, dep)].resolved += 1
            figures.days[(day, dep)].resolution_us.append(_us(took))
        for day, dep, took in _durations(tickets, "first_responded_at", start, end):
            figures.days[(day, dep)].first_response_us.append(_us(took))
    if COMPLIANCE in parts:
        _compliance(figures, tickets.filter(first_response_due_at__gte=start,
                                            first_response_due_at__lt=end))
    return figures


def _durations(tickets, end_field: str, start, end):
    """(day, department, end - created_at) of the tickets whose end_field is in range."""
    took = ExpressionWrapper(F(end_field) - F("created_at"), output_field=DurationField())
    return (tickets.filter(**{f"{end_field}__gte": start, f"{end_field}__lt": end})
            .annotate(d=TruncDate(end_field, tzinfo=zone()), took=took)
            .values_list("d", "department_id", "took").order_by().iterator(chunk_size=5000))


def _us(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _waiting(figures: Figures, start, end, scope: Scope) -> None:
    """Status changes into and out of waiting (on the customer, on hold), by day."""
    into = Q(kind="status_changed", data__new__in=WAITING) & ~Q(data__old__in=WAITING)
    out = (Q(data__old__in=WAITING)
           & (Q(kind="resolved") | (Q(kind="status_changed") & ~Q(data__new__in=WAITING))))
    events = TicketEvent.objects.filter(scope.q("ticket__"), kind__in=STATUS_EVENT_KINDS,
                                        created_at__gte=start, created_at__lt=end)
    for r in _grouped(events, "created_at", "ticket__department_id").annotate(
            i=Count("id", filter=into), o=Count("id", filter=out)):
        if r["i"] or r["o"]:
            day = figures.days[(r["d"], r["ticket__department_id"])]
            day.waiting_in, day.waiting_out = r["i"], r["o"]


def _compliance(figures: Figures, due) -> None:
    now = timezone.now()
    late = (Q(first_responded_at__gt=F("first_response_due_at"))
            | Q(first_responded_at__isnull=True, first_response_due_at__lte=now))
    for r in (_grouped(due, "first_response_due_at").values("d", "department_id",
                                                            "sla_policy_id")
              .annotate(total=Count("id"),
                        met=Count("id", filter=Q(first_responded_at__lte=F(
                            "first_response_due_at"))),
                        late=Count("id", filter=late))):
        figures.compliance[(r["d"], r["department_id"], r["sla_policy_id"])] = [
            r["total"], r["met"], r["late"]]
