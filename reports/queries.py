"""The reports: each returns a `Report` (columns, rows, chart series) for the filters.

Computed from the live tables with one to three aggregate queries each, on indexed
columns (created_at, resolved_at, first_response_due_at, rated_at, received_at) limited to
the date range; percentiles are taken in Python over the range's durations.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Department
from mailgateway.models import InboundMessage
from sla.models import SlaPolicy
from tickets.models import SatisfactionSurvey, Ticket, TimeEntry


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    product_id: int | None = None
    department_id: int | None = None
    organization_id: int | None = None

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.date_from, dt.time(), tzinfo=tz)
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return start, end

    def tickets(self, prefix: str = ""):
        q = Q()
        if self.department_id:
            q &= Q(**{f"{prefix}department_id": self.department_id})
        if self.product_id:
            q &= Q(**{f"{prefix}department__product_id": self.product_id})
        if self.organization_id:
            q &= Q(**{f"{prefix}organization_id": self.organization_id})
        return q


@dataclass
class Report:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart_labels: list[str] = field(default_factory=list)
    chart_series: list[tuple[str, list[float]]] = field(default_factory=list)


def _days(f: Filters) -> list[dt.date]:
    return [f.date_from + dt.timedelta(days=i) for i in range((f.date_to - f.date_from).days + 1)]


def _counts_by(qs, column: str, trunc=TruncDate) -> dict:
    return {row["k"]: row["n"] for row in qs.annotate(k=trunc(column)).values("k")
            .annotate(n=Count("id")).order_by()}


def backlog(f: Filters) -> Report:
    start, end = f.bounds()
    tickets = Ticket.objects.filter(f.tickets())
    new = _counts_by(tickets.filter(created_at__gte=start, created_at__lt=end), "created_at")
    resolved = _counts_by(tickets.filter(resolved_at__gte=start, resolved_at__lt=end),
                          "resolved_at")
    # Open at the start: still unresolved, or resolved since, less those opened since (two
    # index range counts instead of a scan of every ticket opened before the range).
    open_now = (tickets.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start)).count()
                - tickets.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start),
                                 created_at__gte=start).count())
    report = Report(_("Backlog over time"), [_("Day"), _("New"), _("Resolved"),
                                             _("Open at the end of the day")])
    series = ([], [], [])
    for day in _days(f):
        open_now += new.get(day, 0) - resolved.get(day, 0)
        row = [day.isoformat(), new.get(day, 0), resolved.get(day, 0), open_now]
        report.rows.append(row)
        for values, value in zip(series, row[1:], strict=True):
            values.append(value)
    report.chart_labels = [r[0][5:] for r in report.rows]
    report.chart_series = [(_("New"), series[0]), (_("Resolved"), series[1]),
                           (_("Open"), series[2])]
    return report


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    template = "%(function)s(%(p)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, p: float, **extra):
        super().__init__(expression, p=float(p), output_field=DurationField(), **extra)


def _interpolated(values: list[float], p: float) -> float:
    """What percentile_cont answers: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _month(value) -> str:
    return (timezone.localtime(value).strftime("%Y-%m") if isinstance(value, dt.datetime)
            else str(value)[:7])


def _minutes(value) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def _durations_by_month(qs, start_field: str, end_field: str) -> dict[str, tuple]:
    """month of end_field -> (count, median, 90th percentile) of end - start, in minutes:
    in SQL on PostgreSQL, in Python elsewhere (the embedded SQLite)."""
    duration = ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())
    if connection.vendor == "postgresql":
        rows = (qs.annotate(month=TruncMonth(end_field)).values("month")
                .annotate(n=Count("id"), med=PercentileCont(duration, 0.5),
                          p90=PercentileCont(duration, 0.9)).order_by())
        return {_month(r["month"]): (r["n"], _minutes(r["med"]), _minutes(r["p90"]))
                for r in rows}
    grouped = defaultdict(list)
    for start, end in qs.values_list(start_field, end_field):
        grouped[_month(end)].append((end - start).total_seconds() / 60)
    return {month: (len(v), round(_interpolated(v, 0.5), 1), round(_interpolated(v, 0.9), 1))
            for month, v in grouped.items()}


def response_times(f: Filters) -> Report:
    start, end = f.bounds()
    base = Ticket.objects.filter(f.tickets())
    first = _durations_by_month(base.filter(first_responded_at__gte=start,
                                            first_responded_at__lt=end),
                                "created_at", "first_responded_at")
    resolution = _durations_by_month(base.filter(resolved_at__gte=start, resolved_at__lt=end),
                                     "created_at", "resolved_at")
    report = Report(_("First response and resolution times (minutes)"),
                    [_("Month"), _("First responses"), _("First response median"),
                     _("First response 90th percentile"), _("Resolved"),
                     _("Resolution median"), _("Resolution 90th percentile")])
    for month in sorted(set(first) | set(resolution)):
        fn, fm, fp = first.get(month, (0, None, None))
        rn, rm, rp = resolution.get(month, (0, None, None))
        report.rows.append([month, fn, fm, fp, rn, rm, rp])
    report.chart_labels = [r[0] for r in report.rows]
    report.chart_series = [(_("First response median"), [r[2] or 0 for r in report.rows]),
                           (_("First response 90th percentile"),
                            [r[3] or 0 for r in report.rows])]
    return report


def sla_compliance(f: Filters) -> Report:
    start, end = f.bounds()
    now = timezone.now()
    rows = (Ticket.objects.filter(f.tickets(), first_response_due_at__gte=start,
                                  first_response_due_at__lt=end)
            .annotate(month=TruncMonth("first_response_due_at"))
            .values("month", "department_id", "sla_policy_id")
            .annotate(total=Count("id"),
                      met=Count("id", filter=Q(first_responded_at__lte=F("first_response_due_at"))),
                      late=Count("id", filter=Q(first_responded_at__gt=F("first_response_due_at"))
                                 | Q(first_responded_at__isnull=True,
                                     first_response_due_at__lte=now)))
            .order_by())
    departments = {d.pk: d.name for d in Department.objects.all()}
    policies = dict(SlaPolicy.objects.values_list("pk", "name"))
    rows = sorted(({**r, "department": departments.get(r["department_id"], ""),
                    "policy": policies.get(r["sla_policy_id"], "—")} for r in rows),
                  key=lambda r: (_month(r["month"]), r["department"], r["policy"]))
    report = Report(_("First response SLA compliance"),
                    [_("Month"), _("Department"), _("Policy"), _("Tickets"), _("Met"),
                     _("Breached"), _("Compliance %")])
    per_department = defaultdict(lambda: [0, 0])
    for r in rows:
        name, decided = r["department"], r["met"] + r["late"]
        report.rows.append([_month(r["month"]), name, r["policy"], r["total"], r["met"],
                            r["late"], round(100 * r["met"] / decided, 1) if decided else None])
        per_department[name][0] += r["met"]
        per_department[name][1] += r["late"]
    report.chart_labels = list(per_department)
    report.chart_series = [(_("Met"), [v[0] for v in per_department.values()]),
                           (_("Breached"), [v[1] for v in per_department.values()])]
    return report


def _localized(es: str, en: str) -> str:
    from django.utils.translation import get_language

    return (es if (get_language() or "").startswith("es") else en) or en or es


def satisfaction(f: Filters) -> Report:
    start, end = f.bounds()
    rated = SatisfactionSurvey.objects.filter(f.tickets("ticket__"), rated_at__gte=start,
                                              rated_at__lt=end)
    report = Report(_("Satisfaction"), [_("Department or agent"), _("Good"), _("Bad"),
                                        _("Good %")])
    counts = {"good": Count("id", filter=Q(rating="good")),
              "bad": Count("id", filter=Q(rating="bad"))}
    departments = []
    for r in (rated.values("department__name_es", "department__name_en").annotate(**counts)
              .order_by("department__name_en")):
        name = _localized(r["department__name_es"], r["department__name_en"])
        departments.append([name, r["good"], r["bad"]])
    agents = [[r["agent__email"] or "—", r["good"], r["bad"]]
              for r in rated.values("agent__email").annotate(**counts).order_by("agent__email")]
    for label, rows in ((_("Department"), departments), (_("Agent"), agents)):
        for name, good, bad in rows:
            report.rows.append([f"{label}: {name}", good, bad,
                                round(100 * good / (good + bad), 1) if good + bad else None])
    report.chart_labels = [d[0] for d in departments]
    report.chart_series = [(_("Good"), [r[1] for r in departments]),
                           (_("Bad"), [r[2] for r in departments])]
    return report


def time_and_credits(f: Filters) -> Report:
    start, end = f.bounds()
    rows = (TimeEntry.objects.filter(f.tickets("ticket__"), created_at__gte=start,
                                     created_at__lt=end)
            .annotate(month=TruncMonth("created_at"))
            .values("month", "ticket__organization__name")
            .annotate(total_minutes=Sum("minutes"),
                      credits=Sum("minutes", filter=Q(ticket__department__credits_rule="used")))
            .order_by("month", "ticket__organization__name"))
    report = Report(_("Agent time and credits per organization"),
                    [_("Month"), _("Organization"), _("Agent time (minutes)"),
                     _("Credits consumed")])
    for r in rows:
        report.rows.append([_month(r["month"]), r["ticket__organization__name"], r["total_minutes"] or 0,
                            r["credits"] or 0])
    report.chart_labels = [f"{r[0]} {r[1]}" for r in report.rows]
    report.chart_series = [(_("Agent time (minutes)"), [r[2] for r in report.rows]),
                           (_("Credits consumed"), [r[3] for r in report.rows])]
    return report


def tickets_by_queue(f: Filters) -> Report:
    start, end = f.bounds()
    rows = (Ticket.objects.filter(f.tickets(), created_at__gte=start, created_at__lt=end)
            .values("department__product__name_en", "department__product__name_es",
                    "department__name_en", "department__name_es")
            .annotate(n=Count("id")).order_by("-n"))
    report = Report(_("Tickets per product and department"),
                    [_("Product"), _("Department"), _("Tickets")])
    for r in rows:
        report.rows.append([
            _localized(r["department__product__name_es"], r["department__product__name_en"]),
            _localized(r["department__name_es"], r["department__name_en"]), r["n"]])
    report.chart_labels = [r[1] for r in report.rows]
    report.chart_series = [(_("Tickets"), [r[2] for r in report.rows])]
    return report


def mail_outcomes(f: Filters) -> Report:
    start, end = f.bounds()
    labels = dict(InboundMessage.Status.choices)
    rows = (InboundMessage.objects.filter(received_at__gte=start, received_at__lt=end)
            .values("status").annotate(n=Count("id")).order_by("status"))
    report = Report(_("Inbound mail outcomes"), [_("Outcome"), _("Messages")])
    for r in rows:
        report.rows.append([str(labels.get(r["status"], r["status"])), r["n"]])
    report.chart_labels = [r[0] for r in report.rows]
    report.chart_series = [(_("Messages"), [r[1] for r in report.rows])]
    return report


REPORTS = {
    "backlog": (gettext_lazy("Backlog over time"), backlog),
    "response-times": (gettext_lazy("First response and resolution times"), response_times),
    "sla-compliance": (gettext_lazy("First response SLA compliance"), sla_compliance),
    "satisfaction": (gettext_lazy("Satisfaction"), satisfaction),
    "time-and-credits": (gettext_lazy("Agent time and credits per organization"),
                         time_and_credits),
    "tickets-by-queue": (gettext_lazy("Tickets per product and department"),
                         tickets_by_queue),
    "mail-outcomes": (gettext_lazy("Inbound mail outcomes"), mail_outcomes),
}
