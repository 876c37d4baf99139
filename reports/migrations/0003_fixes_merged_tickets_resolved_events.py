"""Merged tickets resolved before the merge recorded its resolution: add the missing
`resolved` status event, so the backlog's waiting series (status-change events) stops
counting them as still waiting. `old` is the status the ticket had at the merge (the `new`
of its last status-change event before it, or "new"); the time and actor are the merge
event's. The days of those merges are marked dirty, so the roll-ups job computes them again
(or run `manage.py reports_rollup --rebuild`). In batches; safe to run twice."""

import zoneinfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

BATCH = 500
STATUS_KINDS = ("status_changed", "resolved", "reopened")


def _status_at_merge(events, merge) -> str | None:
    """The ticket's status when merged, None when it was resolved (before or by the merge)."""
    status = "new"
    for event in events:
        if (event.created_at, event.pk) > (merge.created_at, merge.pk):
            if event.kind == "resolved":
                return None  # the merge recorded it
            continue
        if event.kind == "resolved":
            status = "resolved"
        elif event.kind == "reopened":
            status = "open"
        else:
            status = event.data.get("new", status)
    return None if status == "resolved" else status


def merged_resolutions_add(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    RollupDirtyDay = apps.get_model("reports", "RollupDirtyDay")
    zone = zoneinfo.ZoneInfo(settings.REPORTS_TIME_ZONE)
    now = timezone.now()
    today = now.astimezone(zone).date()
    merges = TicketEvent.objects.filter(kind="merged").order_by("pk")
    last_pk, days = 0, set()
    while batch := list(merges.filter(pk__gt=last_pk)[:BATCH]):
        last_pk = batch[-1].pk
        events: dict[int, list] = {}
        for event in (TicketEvent.objects.filter(ticket_id__in=[m.ticket_id for m in batch],
                                                 kind__in=STATUS_KINDS)
                      .order_by("created_at", "pk")):
            events.setdefault(event.ticket_id, []).append(event)
        added = []
        for merge in batch:
            old = _status_at_merge(events.get(merge.ticket_id, []), merge)
            if old is not None:
                added.append(TicketEvent(ticket_id=merge.ticket_id, actor_id=merge.actor_id,
                                         kind="resolved", data={"old": old},
                                         created_at=merge.created_at))
                days.add(merge.created_at.astimezone(zone).date())
        TicketEvent.objects.bulk_create(added)
    RollupDirtyDay.objects.bulk_create([RollupDirtyDay(day=day, marked_at=now)
                                        for day in sorted(d for d in days if d < today)])


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0002_sla2_daily_rollups"),
        ("tickets", "0011_sla2_survey_change_and_scanner"),
    ]

    operations = [
        migrations.RunPython(merged_resolutions_add, migrations.RunPython.noop, elidable=True),
    ]
