"""The daily roll-ups: kept by a beat job (`reports.tasks.rollups_refresh`, also
`manage.py reports_rollup`), read by the reports for whole past days.

Each run computes again, from the tickets (reports.daily.collect):
- the last REPORTS_ROLLUP_RECENT_DAYS days (late commits around midnight, anything a
  service did not mark),
- every day marked dirty since (the tickets' services announce the days a change moves
  figures away from: tickets.signals.report_days_changed),
- up to REPORTS_ROLLUP_BATCH_DAYS days never computed, newest first (the first run, and the
  catch-up after downtime).
A day is replaced whole in one transaction, under a lock on its `RollupDay` row: running
twice, or two runs at once, stores the same rows. A dirty mark is deleted only by the run
that read it, so a mark made while a day is being computed makes the next run compute it
again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets.models import Ticket

from . import daily
from .daily import COMPLIANCE, COUNTS, DURATIONS, Figures, Scope
from .models import DailyCompliance, DailyQueueStats, RollupDay, RollupDirtyDay

ONE_DAY = dt.timedelta(days=1)


def first_day() -> dt.date | None:
    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return daily.day_of(first) if first is not None else None


# --- the job -------------------------------------------------------------------------------

def rollups_refresh(*, batch_days: int | None = None) -> list[dt.date]:
    """Compute what is due (see the module); returns the days computed."""
    start, last = first_day(), daily.today() - ONE_DAY
    if start is None or last < start:
        return []
    batch = settings.REPORTS_ROLLUP_BATCH_DAYS if batch_days is None else batch_days
    recent = {last - dt.timedelta(days=i) for i in range(settings.REPORTS_ROLLUP_RECENT_DAYS)}
    dirty = defaultdict(list)
    for pk, day in RollupDirtyDay.objects.values_list("pk", "day"):
        dirty[day].append(pk)
    stored = set(RollupDay.objects.filter(day__gte=start, time_zone=daily.zone().key)
                 .values_list("day", flat=True))
    missing = [d for d in _days(start, last) if d not in stored]
    due = {d for d in recent | set(dirty) if start <= d <= last}
    due |= set(sorted(missing, reverse=True)[:batch])
    for day in sorted(due):
        rollup_day(day, dirty_ids=dirty.get(day, []))
    # Marks outside the stored range (before the first ticket, today or later) are moot.
    RollupDirtyDay.objects.filter(pk__in=[pk for d, pks in dirty.items()
                                          if not start <= d <= last for pk in pks]).delete()
    return sorted(due)


def rollup_day(day: dt.date, *, dirty_ids=()) -> None:
    with transaction.atomic():
        RollupDay.objects.update_or_create(day=day, defaults={
            "computed_at": timezone.now(), "time_zone": daily.zone().key})
        figures = daily.collect(daily.day_start(day), daily.day_start(day + ONE_DAY))
        DailyQueueStats.objects.filter(day=day).delete()
        DailyCompliance.objects.filter(day=day).delete()
        DailyQueueStats.objects.bulk_create([
            DailyQueueStats(day=d, department_id=dep, new=f.new, resolved=f.resolved,
                            waiting_in=f.waiting_in, waiting_out=f.waiting_out,
                            first_response_us=daily.pack(f.first_response_us),
                            resolution_us=daily.pack(f.resolution_us))
            for (d, dep), f in figures.days.items()])
        DailyCompliance.objects.bulk_create([
            DailyCompliance(day=d, department_id=dep, sla_policy_id=policy, total=c[0],
                            met=c[1], late=c[2])
            for (d, dep, policy), c in figures.compliance.items()])
        RollupDirtyDay.objects.filter(pk__in=list(dirty_ids)).delete()


def days_mark_dirty(sender, *, moments, **kwargs) -> None:
    """tickets.signals.report_days_changed: inside the change's transaction."""
    today = daily.today()
    days = {d for d in map(daily.day_of, moments) if d < today}
    now = timezone.now()
    RollupDirtyDay.objects.bulk_create([RollupDirtyDay(day=d, marked_at=now)
                                        for d in sorted(days)])


# --- reading -------------------------------------------------------------------------------

def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _clean_days(first: dt.date, last: dt.date) -> set[dt.date]:
    if last < first:
        return set()
    stored = set(RollupDay.objects.filter(day__gte=first, day__lte=last,
                                          time_zone=daily.zone().key)
                 .values_list("day", flat=True))
    return stored - set(RollupDirtyDay.objects.filter(day__gte=first, day__lte=last)
                        .values_list("day", flat=True))


def _ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) pairs."""
    ranges: list[list[dt.date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + ONE_DAY == day:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(a, b) for a, b in ranges]


def figures(first: dt.date, last: dt.date, *, scope: Scope, parts) -> Figures:
    """The figures of the days first..last: stored where clean, live elsewhere."""
    clean = (set() if scope.organization_id else
             _clean_days(first, min(last, daily.today() - ONE_DAY)))
    result = _stored(first, last, clean, scope=scope, parts=parts)
    for a, b in _ranges([d for d in _days(first, last) if d not in clean]):
        result.add(daily.collect(daily.day_start(a), daily.day_start(b + ONE_DAY),
                                 scope=scope, parts=parts))
    return result


def _stored(first, last, clean: set, *, scope: Scope, parts) -> Figures:
    result = Figures()
    if not clean:
        return result
    where = {"day__gte": min(clean), "day__lte": max(clean)}
    if scope.department_ids is not None:
        where["department_id__in"] = scope.department_ids
    if COUNTS in parts or DURATIONS in parts:
        columns = ["day", "department_id", "new", "resolved", "waiting_in", "waiting_out"]
        if DURATIONS in parts:
            columns += ["first_response_us", "resolution_us"]
        for row in DailyQueueStats.objects.filter(**where).values_list(*columns):
            if row[0] not in clean:
                continue
            f = result.days[(row[0], row[1])]
            f.new, f.resolved, f.waiting_in, f.waiting_out = row[2:6]
            if DURATIONS in parts:
                f.first_response_us = daily.unpack(row[6])
                f.resolution_us = daily.unpack(row[7])
    if COMPLIANCE in parts:
        for d, dep, policy, *counts in DailyCompliance.objects.filter(**where).values_list(
                "day", "department_id", "sla_policy_id", "total", "met", "late"):
            if d in clean:
                result.compliance[(d, dep, policy)] = list(counts)
    return result
