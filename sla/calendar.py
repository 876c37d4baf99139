"""Calendar arithmetic of service levels: the one place that adds business minutes.

A `Schedule` is a time zone, the opening intervals of each weekday (local wall-clock times,
opening before closing on the same day) and the closed dates (holidays, local dates). All
arithmetic is done on UTC instants; the local day's intervals are placed on the time line
with zoneinfo, so a day of a DST change has its real length (a 09:00-18:00 day stays nine
hours; a 00:00-06:00 night interval is one hour shorter or longer). A local time skipped by
a DST change opens at the first instant after the gap (fold=0 as zoneinfo resolves it).

`schedule=None` means calendar hours: 24x7, plain minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.UTC
# Looking further than this for an open minute means the calendar is (almost) always closed.
MAX_DAYS_SCANNED = 3 * 366

CALENDAR_NEVER_OPEN = "The support calendar has no open hours in the next three years."


class CalendarNeverOpen(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    # weekday (Monday 0 .. Sunday 6) -> ((opens, closes), ...) local times, opens < closes
    weekly: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def _local_intervals(schedule: Schedule, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The open intervals of one local date, as UTC instants, in order."""
    if day in schedule.holidays:
        return []
    zone = schedule.zone
    out = []
    for opens, closes in sorted(schedule.weekly.get(day.weekday(), ())):
        start = dt.datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
        end = dt.datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
        if end > start:
            out.append((start, end))
    return out


def _intervals_from(schedule: Schedule, moment: dt.datetime):
    """Open intervals (UTC) that end after `moment`, in order, starting on its local day."""
    day = moment.astimezone(schedule.zone).date() - dt.timedelta(days=1)
    for offset in range(MAX_DAYS_SCANNED):
        for start, end in _local_intervals(schedule, day + dt.timedelta(days=offset)):
            if end > moment:
                yield start, end
    raise CalendarNeverOpen(CALENDAR_NEVER_OPEN)


def add_minutes(start: dt.datetime, minutes: int, schedule: Schedule | None) -> dt.datetime:
    """The instant `minutes` open minutes after `start` (aware). Never earlier than `start`,
    never inside closed hours (an interval's closing instant counts as open: the last minute
    of the day ends then); 0 minutes from a closed moment is the next opening."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    start = start.astimezone(UTC)
    if schedule is None:
        return start + dt.timedelta(minutes=minutes)
    remaining = dt.timedelta(minutes=minutes)
    for opens, closes in _intervals_from(schedule, start):
        cursor = max(start, opens)
        available = closes - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
    raise CalendarNeverOpen(CALENDAR_NEVER_OPEN)  # pragma: no cover (generator raises)


def minutes_between(start: dt.datetime, end: dt.datetime, schedule: Schedule | None) -> int:
    """Open minutes from `start` to `end` (0 when end <= start), rounded down."""
    if end <= start:
        return 0
    if schedule is None:
        return int((end - start).total_seconds() // 60)
    total = dt.timedelta()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(schedule.zone).date() - dt.timedelta(days=1)
    last = end.astimezone(schedule.zone).date() + dt.timedelta(days=1)
    while day <= last:
        for opens, closes in _local_intervals(schedule, day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > dt.timedelta():
                total += overlap
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


def is_open(moment: dt.datetime, schedule: Schedule | None) -> bool:
    """True when `moment` lies in an open interval (its closing instant included)."""
    if schedule is None:
        return True
    moment = moment.astimezone(UTC)
    day = moment.astimezone(schedule.zone).date()
    for offset in (-1, 0, 1):
        for opens, closes in _local_intervals(schedule, day + dt.timedelta(days=offset)):
            if opens <= moment <= closes:
                return True
    return False
