"""Calendar arithmetic (sla.calendar): a table of hand-checked cases and properties."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import calendar as cal

MADRID = ZoneInfo("Europe/Madrid")
T = dt.time
OFFICE = {d: ((T(9), T(18)),) for d in range(5)}
SPLIT = {d: ((T(9), T(13)), (T(15), T(18))) for d in range(5)}

STANDARD = cal.Schedule("Europe/Madrid", OFFICE)
HOLIDAYS = cal.Schedule("Europe/Madrid", OFFICE, frozenset({
    dt.date(2026, 12, 8), dt.date(2026, 12, 25), dt.date(2027, 1, 1)}))
SPLIT_DAY = cal.Schedule("Europe/Madrid", SPLIT)
SUNDAY_NIGHT = cal.Schedule("Europe/Madrid", {6: ((T(0), T(6)),)})
MEXICO = cal.Schedule("America/Mexico_City", OFFICE)
NEW_YORK = cal.Schedule("America/New_York", OFFICE, frozenset({dt.date(2026, 11, 26)}))


def madrid(*args):
    return dt.datetime(*args, tzinfo=MADRID)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


# (why, schedule, start, minutes, expected)
TABLE = [
    ("Monday 17:30 + 8 business hours is Tuesday 16:30", STANDARD,
     madrid(2026, 12, 7, 17, 30), 480, madrid(2026, 12, 8, 16, 30)),
    ("Friday 17:00 + 2 h crosses the weekend", STANDARD,
     madrid(2026, 12, 4, 17, 0), 120, madrid(2026, 12, 7, 10, 0)),
    ("Saturday noon starts on Monday 09:00", STANDARD,
     madrid(2026, 12, 5, 12, 0), 60, madrid(2026, 12, 7, 10, 0)),
    ("before opening, 0 minutes is the opening", STANDARD,
     madrid(2026, 12, 7, 8, 0), 0, madrid(2026, 12, 7, 9, 0)),
    ("a full day ends at closing time, not the next morning", STANDARD,
     madrid(2026, 12, 7, 10, 0), 480, madrid(2026, 12, 7, 18, 0)),
    ("one minute past closing is the next morning's first minute", STANDARD,
     madrid(2026, 12, 7, 10, 0), 481, madrid(2026, 12, 8, 9, 1)),
    ("a holiday (8 December) is skipped", HOLIDAYS,
     madrid(2026, 12, 7, 17, 30), 480, madrid(2026, 12, 9, 16, 30)),
    ("Christmas, a weekend and New Year", HOLIDAYS,
     madrid(2026, 12, 31, 17, 0), 120, madrid(2027, 1, 4, 10, 0)),
    ("Christmas Eve to the Monday after Christmas", HOLIDAYS,
     madrid(2026, 12, 24, 17, 0), 120, madrid(2026, 12, 28, 10, 0)),
    ("across the end of summer time (25 Oct 2026): local hours kept", STANDARD,
     madrid(2026, 10, 23, 17, 0), 120, utc(2026, 10, 26, 9, 0)),
    ("across the start of summer time (28 Mar 2027)", STANDARD,
     madrid(2027, 3, 26, 17, 0), 120, utc(2027, 3, 29, 8, 0)),
    ("the night of the clock change is one hour shorter", SUNDAY_NIGHT,
     madrid(2027, 3, 28, 0, 0), 300, utc(2027, 3, 28, 4, 0)),
    ("and its sixth hour is the next Sunday", SUNDAY_NIGHT,
     madrid(2027, 3, 28, 0, 0), 301, madrid(2027, 4, 4, 0, 1)),
    ("the night summer time ends is one hour longer", SUNDAY_NIGHT,
     madrid(2026, 10, 25, 0, 0), 420, utc(2026, 10, 25, 5, 0)),
    ("another time zone: 09:00 in Mexico City is 15:00 UTC", MEXICO,
     utc(2026, 12, 7, 14, 0), 60, utc(2026, 12, 7, 16, 0)),
    ("New York, Thanksgiving skipped", NEW_YORK,
     utc(2026, 11, 25, 22, 30), 60, utc(2026, 11, 27, 14, 30)),
    ("a split day resumes after lunch", SPLIT_DAY,
     madrid(2026, 12, 7, 12, 30), 60, madrid(2026, 12, 7, 15, 30)),
    ("calendar hours: plain minutes", None,
     madrid(2026, 12, 7, 17, 30), 60, madrid(2026, 12, 7, 18, 30)),
]


@pytest.mark.parametrize("why,schedule,start,minutes,expected", TABLE,
                         ids=[row[0] for row in TABLE])
def test_add_minutes_table(why, schedule, start, minutes, expected):
    assert cal.add_minutes(start, minutes, schedule) == expected


def test_minutes_between_table():
    assert cal.minutes_between(madrid(2026, 12, 7, 17, 30), madrid(2026, 12, 8, 16, 30),
                               STANDARD) == 480
    assert cal.minutes_between(madrid(2026, 12, 5, 0, 0), madrid(2026, 12, 6, 23, 0),
                               STANDARD) == 0
    assert cal.minutes_between(madrid(2026, 12, 7, 17, 30), madrid(2026, 12, 9, 16, 30),
                               HOLIDAYS) == 480
    assert cal.minutes_between(madrid(2026, 12, 8), madrid(2026, 12, 7), STANDARD) == 0


def test_a_calendar_that_never_opens_is_an_error():
    with pytest.raises(cal.CalendarNeverOpen):
        cal.add_minutes(madrid(2026, 12, 7), 60, cal.Schedule("Europe/Madrid", {}))


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        cal.add_minutes(dt.datetime(2026, 12, 7), 60, STANDARD)


SCHEDULES = st.sampled_from([STANDARD, HOLIDAYS, SPLIT_DAY, SUNDAY_NIGHT, MEXICO, NEW_YORK])
STARTS = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31),
                      timezones=st.just(dt.UTC)).map(lambda d: d.replace(second=0,
                                                                         microsecond=0))
MINUTES = st.integers(min_value=1, max_value=20_000)


@settings(max_examples=150, deadline=None)
@given(schedule=SCHEDULES, start=STARTS, minutes=MINUTES)
def test_due_is_open_and_never_earlier(schedule, start, minutes):
    due = cal.add_minutes(start, minutes, schedule)
    assert due > start
    assert cal.is_open(due, schedule)
    assert cal.minutes_between(start, due, schedule) == minutes


@settings(max_examples=150, deadline=None)
@given(schedule=SCHEDULES, start=STARTS, a=MINUTES, b=MINUTES)
def test_due_is_monotonic_in_the_target(schedule, start, a, b):
    low, high = sorted((a, b))
    assert cal.add_minutes(start, low, schedule) <= cal.add_minutes(start, high, schedule)
