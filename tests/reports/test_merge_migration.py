"""reports 0003: merged tickets of before the fix gain the `resolved` status event their
merge did not record, and the days of those merges are marked for the roll-ups job."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from reports.models import RollupDirtyDay
from tests.factories import TicketFactory
from tests.sla.conftest import clock, demo  # noqa: F401 (fixtures)
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db
migration = importlib.import_module("reports.migrations.0003_fixes_merged_tickets_resolved_events")


def event(ticket, kind, at, **data):
    return TicketEvent.objects.create(ticket=ticket, kind=kind, data=data, created_at=at)


def resolutions(ticket):
    return list(ticket.events.filter(kind="resolved").order_by("created_at", "pk")
                .values_list("data", "created_at"))


def test_the_missing_resolutions_are_added_once(demo, clock, settings):  # noqa: F811
    settings.REPORTS_TIME_ZONE = "America/Mexico_City"
    monday = clock.now  # Monday 7 Dec 2026 17:30
    waiting, untouched, resolved, recorded = (
        TicketFactory.create(requester=demo["maria"]) for _ in range(4))
    event(waiting, "status_changed", monday, old="new", new="waiting_customer")
    waiting_merge = event(waiting, "merged", monday + dt.timedelta(hours=1), into=1)
    untouched_merge = event(untouched, "merged", monday + dt.timedelta(hours=2), into=1)
    event(resolved, "resolved", monday, old="open")
    event(resolved, "merged", monday + dt.timedelta(hours=1), into=1)
    event(recorded, "merged", monday, into=1)  # merged by today's code
    event(recorded, "resolved", monday, old="open")
    before = {t.pk: resolutions(t) for t in (resolved, recorded)}
    clock.set(2026, 12, 10, 9, 0)  # migrated on Thursday

    for _run in range(2):  # safe to run twice
        migration.merged_resolutions_add(apps, None)

    assert resolutions(waiting) == [({"old": "waiting_customer"}, waiting_merge.created_at)]
    assert resolutions(untouched) == [({"old": "new"}, untouched_merge.created_at)]
    assert {t.pk: resolutions(t) for t in (resolved, recorded)} == before
    assert set(RollupDirtyDay.objects.values_list("day", flat=True)) == {dt.date(2026, 12, 7)}
