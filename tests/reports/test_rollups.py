"""The daily roll-ups' job: safe to run twice, catches up after downtime, computes a day
again when a change moves its figures (dirty marks from the tickets' services), and the
reports read the same answers from it as live."""

import datetime as dt

import pytest

from catalog.models import Department
from reports import daily, rollups
from reports.daily import ALL_PARTS, Scope
from reports.models import DailyCompliance, DailyQueueStats, RollupDay, RollupDirtyDay
from reports.queries import REPORTS, Filters
from tickets import services

pytestmark = pytest.mark.django_db
MON, TUE, WED = dt.date(2026, 12, 7), dt.date(2026, 12, 8), dt.date(2026, 12, 9)


@pytest.fixture
def path():
    return "live"  # the world without roll-ups: each test runs the job itself


def stored():
    return (sorted(DailyQueueStats.objects.values_list(
                "day", "department_id", "new", "resolved", "waiting_in", "waiting_out",
                "first_response_us", "resolution_us")),
            sorted(DailyCompliance.objects.values_list(
                "day", "department_id", "sla_policy_id", "total", "met", "late")),
            sorted(RollupDay.objects.values_list("day", flat=True)))


def answers(**filters):
    """Every report's rows for Monday to Thursday, in the reports' time zone."""
    from django.utils import timezone

    f = Filters(date_from=MON, date_to=dt.date(2026, 12, 10), **filters)
    with timezone.override(daily.zone()):
        return {slug: [[str(v) for v in row] for row in build(f).rows]
                for slug, (_title, build) in REPORTS.items()}


def test_the_job_twice_stores_the_same_and_the_answers_equal_live(world, clock):
    live = answers()
    clock.set(2026, 12, 10, 9, 0)
    assert rollups.rollups_refresh() == [MON, TUE, WED]
    first = stored()
    assert first[2] == [MON, TUE, WED] and first[0]
    assert rollups.rollups_refresh() == [TUE, WED]  # the recent days only, again
    assert stored() == first
    assert answers() == live
    department = world["t1"].department_id
    assert answers(department_id=department) != answers(department_id=department + 1000)


def test_catch_up_after_downtime_newest_first_in_batches(world, clock):
    clock.set(2026, 12, 20, 9, 0)  # the job did not run for ten days
    assert rollups.rollups_refresh(batch_days=3) == [dt.date(2026, 12, d) for d in (17, 18, 19)]
    assert rollups.rollups_refresh(batch_days=100)[0] == MON
    assert RollupDay.objects.count() == 13
    assert rollups.rollups_refresh(batch_days=100) == [dt.date(2026, 12, 18),
                                                       dt.date(2026, 12, 19)]


def test_a_reopened_ticket_marks_its_former_day_and_reads_it_live_until_the_job(world, clock):
    clock.set(2026, 12, 10, 9, 0)
    rollups.rollups_refresh()
    clock.set(2026, 12, 10, 10, 0)
    services.ticket_reply_create(ticket=world["t1"], author=world["t1"].requester,
                                 body="It broke again")  # resolved Tuesday: reopened
    assert list(RollupDirtyDay.objects.values_list("day", flat=True)) == [TUE]
    rows = answers()["backlog"]
    assert rows[1] == ["2026-12-08", "1", "1", "1", "0"]  # Tuesday, live: one resolved
    rollups.rollups_refresh()
    assert not RollupDirtyDay.objects.exists()
    assert answers()["backlog"] == rows
    RollupDay.objects.all().delete()  # nothing stored: all live, same answers
    assert answers()["backlog"] == rows


def test_a_mark_made_while_a_day_is_computed_is_kept_for_the_next_run(world, clock):
    clock.set(2026, 12, 10, 9, 0)
    mark = RollupDirtyDay.objects.create(day=TUE, marked_at=clock.now)
    rollups.rollup_day(TUE, dirty_ids=[])  # this run had not read the mark
    assert RollupDirtyDay.objects.filter(pk=mark.pk).exists()
    assert TUE not in rollups._clean_days(MON, WED)
    rollups.rollups_refresh()
    assert not RollupDirtyDay.objects.exists() and TUE in rollups._clean_days(MON, WED)


def test_a_moved_ticket_marks_every_day_it_counts_in(world, clock, demo):
    clock.set(2026, 12, 10, 9, 0)
    rollups.rollups_refresh()
    live_before = answers()
    other = Department.objects.get(code="sipstation-general")
    clock.set(2026, 12, 10, 10, 0)
    services.ticket_department_change(ticket=world["t2"], actor=demo["agent"],
                                      department=other)
    assert set(RollupDirtyDay.objects.values_list("day", flat=True)) == {TUE}
    moved = answers(department_id=other.pk)
    assert moved != answers() and moved["backlog"][1][1] == "1"  # t2 opened Tuesday
    rollups.rollups_refresh()
    assert answers(department_id=other.pk) == moved
    RollupDay.objects.all().delete()
    assert answers(department_id=other.pk) == moved
    assert answers()["response-times"] == live_before["response-times"]


def test_organization_filter_reads_live(world, clock):
    clock.set(2026, 12, 10, 9, 0)
    rollups.rollups_refresh()
    organization = world["t2"].organization_id
    figures = rollups.figures(MON, WED, scope=Scope(organization_id=organization),
                              parts=ALL_PARTS)
    assert {dep for _day, dep in figures.days} == {world["t2"].department_id}
    assert sum(d.new for d in figures.days.values()) == 1


def test_durations_pack_exactly():
    values = [5, 1, 2**40, 0]
    assert daily.unpack(daily.pack(values)).tolist() == sorted(values)
    assert daily.unpack(daily.pack([])).tolist() == []


def test_the_beat_job_runs_the_refresh(world, clock, settings):
    from reports.tasks import rollups_refresh

    assert settings.CELERY_BEAT_SCHEDULE["reports-rollups"]["task"] == rollups_refresh.name
    clock.set(2026, 12, 10, 9, 0)
    assert rollups_refresh.delay().get() == 3
    assert rollups_refresh.delay().get() == 2  # the recent days again, nothing else


def test_days_of_another_time_zone_are_computed_again(world, clock, settings):
    clock.set(2026, 12, 10, 9, 0)
    rollups.rollups_refresh()
    live = answers()
    settings.REPORTS_TIME_ZONE = "Europe/Madrid"
    assert rollups._clean_days(MON, WED) == set()  # not read in the new zone
    # Monday 17:30 in Mexico City is Tuesday in Madrid, and Thursday 9:00 is 16:00 there.
    assert rollups.rollups_refresh(batch_days=100) == [TUE, WED]
    settings.REPORTS_TIME_ZONE = "America/Mexico_City"
    rollups.rollups_refresh(batch_days=100)
    assert answers() == live


def test_the_command_rebuilds(world, clock):
    from django.core.management import call_command

    clock.set(2026, 12, 10, 9, 0)
    call_command("reports_rollup", "--all", stdout=open("/dev/null", "w"))
    first = stored()
    DailyQueueStats.objects.all().update(new=99)  # stale rows, as after a bulk load
    call_command("reports_rollup", "--rebuild", stdout=open("/dev/null", "w"))
    assert stored() == first


def test_a_priority_raise_marks_the_day_the_first_response_moves_to(world, clock, demo):
    """An old ticket's first response due next week moves, on a priority raise, to a past
    day already stored: that day is computed again, so the compliance report from the
    roll-ups equals the live one."""
    from entitlements.models import BillingResponsibility, Deployment
    from sla.models import SlaTarget
    from tests.factories import TicketFactory

    targets = SlaTarget.objects.filter(policy__name="Soporte Estándar")
    targets.filter(priority=1).update(first_response_minutes=40 * 60)
    targets.filter(priority=4).update(first_response_minutes=60)
    clock.set(2026, 12, 7, 17, 30)
    old = TicketFactory.create(
        requester=demo["maria"], department_code="freepbx-configuration",
        deployment=Deployment.objects.get(code="DEP-1001"),
        billing_responsibility=BillingResponsibility.objects.get(code="BR-1001"))
    services.ticket_priority_change(ticket=old, actor=demo["agent"], priority=1)
    old.refresh_from_db()
    assert old.first_response_due_at.date() > dt.date(2026, 12, 10)  # next week
    clock.set(2026, 12, 10, 9, 0)
    rollups.rollups_refresh()
    clock.set(2026, 12, 10, 10, 0)
    services.ticket_priority_change(ticket=old, actor=demo["agent"], priority=4)
    old.refresh_from_db()
    assert old.first_response_due_at.astimezone(daily.zone()).date() == TUE
    assert TUE in set(RollupDirtyDay.objects.values_list("day", flat=True))
    from_rollups = answers()["sla-compliance"]
    RollupDay.objects.all().delete()  # nothing stored: all live
    assert answers()["sla-compliance"] == from_rollups


def test_the_reports_share_the_tickets_and_clocks_rules():
    """One definition each: the status-change events (tickets.services) and the waiting
    statuses (the SLA clocks' paused ones)."""
    from sla import clock

    assert daily.STATUS_EVENT_KINDS is services.STATUS_EVENT_KINDS
    assert daily.WAITING is clock.PAUSED_STATUSES
