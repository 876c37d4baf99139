"""The reports: each returns a `Report` (columns, rows, chart series) for the filters.

Days are counted in REPORTS_TIME_ZONE (the view activates it). Backlog, response times and
SLA compliance read their daily figures from the roll-ups for whole past days and live for
today (reports.rollups, reports.daily); the others are one to three aggregate queries each
on indexed columns (rated_at, created_at, received_at) limited to the date range.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Department
from mailgateway.models import InboundMessage
from sla.models import SlaPolicy
from tickets.models import SatisfactionSurvey, TimeEntry

from . import rollups
from .daily import COMPLIANCE, COUNTS, DURATIONS, Figures, Scope, durations


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


ONE_DAY = dt.timedelta(days=1)


def _days(f: Filters) -> list[dt.date]:
    return [f.date_from + dt.timedelta(days=i) for i in range((f.date_to - f.date_from).days + 1)]


def _scope(f: Filters) -> Scope:
    departments = None
    if f.product_id:
        departments = set(Department.objects.filter(product_id=f.product_id)
                          .values_list("pk", flat=True))
    if f.department_id:
        departments = {f.department_id} & departments if departments is not None else {
            f.department_id}
    return Scope(department_ids=frozenset(departments) if departments is not None else None,
                 organization_id=f.organization_id)


def backlog(f: Filters) -> Report:
    """Per day: opened, resolved (at their current resolution), and at the end of the day
    how many were open (opened and not resolved) and waiting (on the customer or on hold,
    from the status changes): the running sums from the first ticket on."""
    scope = _scope(f)
    first = rollups.first_day()
    before = (rollups.figures(first, f.date_from - ONE_DAY, scope=scope, parts={COUNTS})
              if first is not None and first < f.date_from else Figures())
    open_now = sum(d.new - d.resolved for d in before.days.values())
    waiting_now = sum(d.waiting_in - d.waiting_out for d in before.days.values())
    per_day = defaultdict(lambda: [0, 0, 0, 0])
    for (day, _dep), d in rollups.figures(f.date_from, f.date_to, scope=scope,
                                          parts={COUNTS}).days.items():
        for i, value in enumerate((d.new, d.resolved, d.waiting_in, d.waiting_out)):
            per_day[day][i] += value
    report = Report(_("Backlog over time"), [_("Day"), _("New"), _("Resolved"),
                                             _("Open at the end of the day"),
                                             _("Waiting at the end of the day")])
    for day in _days(f):
        new, resolved, waiting_in, waiting_out = per_day.get(day, (0, 0, 0, 0))
        open_now += new - resolved
        waiting_now += waiting_in - waiting_out
        report.rows.append([day.isoformat(), new, resolved, open_now, waiting_now])
    report.chart_labels = [r[0][5:] for r in report.rows]
    report.chart_series = [(name, [r[i] for r in report.rows]) for i, name in enumerate(
        (_("New"), _("Resolved"), _("Open"), _("Waiting")), start=1)]
    return report


def _interpolated(values, p: float, *, ordered: bool = False) -> float:
    """What PostgreSQL's percentile_cont answers: linear interpolation between the closest
    ranks of the sorted values."""
    ordered = values if ordered else sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _month(value) -> str:
    return (timezone.localtime(value).strftime("%Y-%m") if isinstance(value, dt.datetime)
            else str(value)[:7])


def _summary(microseconds) -> tuple:
    """(count, median, 90th percentile) in minutes, exact over the durations."""
    if not microseconds:
        return 0, None, None
    ordered = sorted(microseconds)  # the days' sorted runs: one merge pass
    return (len(ordered), round(_interpolated(ordered, 0.5, ordered=True) / 60e6, 1),
            round(_interpolated(ordered, 0.9, ordered=True) / 60e6, 1))


def response_times(f: Filters) -> Report:
    first, resolution = defaultdict(durations), defaultdict(durations)
    for (day, _dep), d in rollups.figures(f.date_from, f.date_to, scope=_scope(f),
                                          parts={DURATIONS}).days.items():
        first[_month(day)] += d.first_response_us
        resolution[_month(day)] += d.resolution_us
    report = Report(_("First response and resolution times (minutes)"),
                    [_("Month"), _("First responses"), _("First response median"),
                     _("First response 90th percentile"), _("Resolved"),
                     _("Resolution median"), _("Resolution 90th percentile")])
    for month in sorted(m for m in set(first) | set(resolution)
                        if first[m] or resolution[m]):
        report.rows.append([month, *_summary(first[month]), *_summary(resolution[month])])
    report.chart_labels = [r[0] for r in report.rows]
    report.chart_series = [(_("First response median"), [r[2] or 0 for r in report.rows]),
                           (_("First response 90th percentile"),
                            [r[3] or 0 for r in report.rows])]
    return report


def sla_compliance(f: Filters) -> Report:
    grouped = defaultdict(lambda: [0, 0, 0])
    for (day, dep, policy), counts in rollups.figures(
            f.date_from, f.date_to, scope=_scope(f), parts={COMPLIANCE}).compliance.items():
        grouped[(_month(day), dep, policy)] = [
            a + b for a, b in zip(grouped[(_month(day), dep, policy)], counts, strict=True)]
    departments = {d.pk: d.name for d in Department.objects.all()}
    policies = dict(SlaPolicy.objects.values_list("pk", "name"))
    rows = sorted(((month, departments.get(dep, ""), policies.get(policy, "—"), *counts)
                   for (month, dep, policy), counts in grouped.items() if counts[0]),
                  key=lambda r: r[:3])
    report = Report(_("First response SLA compliance"),
                    [_("Month"), _("Department"), _("Policy"), _("Tickets"), _("Met"),
                     _("Breached"), _("Compliance %")])
    per_department = defaultdict(lambda: [0, 0])
    for month, name, policy, total, met, late in rows:
        decided = met + late
        report.rows.append([month, name, policy, total, met, late,
                            round(100 * met / decided, 1) if decided else None])
        per_department[name][0] += met
        per_department[name][1] += late
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
    opened = defaultdict(int)
    for (_day, dep), d in rollups.figures(f.date_from, f.date_to, scope=_scope(f),
                                          parts={COUNTS}).days.items():
        opened[dep] += d.new
    departments = Department.objects.select_related("product").in_bulk(
        [dep for dep, n in opened.items() if n])
    report = Report(_("Tickets per product and department"),
                    [_("Product"), _("Department"), _("Tickets")])
    for dep, n in sorted(((d, n) for d, n in opened.items() if n), key=lambda x: -x[1]):
        department = departments[dep]
        report.rows.append([
            _localized(department.product.name_es, department.product.name_en),
            _localized(department.name_es, department.name_en), n])
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
