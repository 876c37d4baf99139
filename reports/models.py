"""Daily roll-ups of the reports (reports.rollups keeps them; reports.daily reads them).

One row per day (in REPORTS_TIME_ZONE) and department, and per day, department and policy
for first-response compliance. `RollupDay` says which days are stored; `RollupDirtyDay`
marks a stored day whose figures changed after it was computed (a reopened ticket, a moved
due time, a moved ticket): the next run computes it again, and until then the reports read
that day live.
"""

from django.db import models


class RollupDay(models.Model):
    day = models.DateField(primary_key=True)
    # The REPORTS_TIME_ZONE the day was counted in: a day of another zone is not read, and
    # the job computes it again (catch-up order) after the setting changes.
    time_zone = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]


class RollupDirtyDay(models.Model):
    day = models.DateField(db_index=True)
    marked_at = models.DateTimeField()


class DailyQueueStats(models.Model):
    """Tickets opened and resolved (current resolution time) on the day; status changes
    into and out of waiting (on the customer or on hold); and the exact durations (in
    microseconds, sorted, packed by reports.rollups.pack) of the first responses and the
    resolutions that ended that day, so medians and percentiles over any set of days are
    exact."""

    day = models.DateField()
    department = models.ForeignKey("catalog.Department", on_delete=models.CASCADE,
                                   related_name="+")
    new = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    waiting_in = models.PositiveIntegerField(default=0)
    waiting_out = models.PositiveIntegerField(default=0)
    first_response_us = models.BinaryField(default=b"")
    resolution_us = models.BinaryField(default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "department"],
                                               name="reports_queue_day_dept")]


class DailyCompliance(models.Model):
    """First responses due on the day: how many, met in time, breached."""

    day = models.DateField()
    department = models.ForeignKey("catalog.Department", on_delete=models.CASCADE,
                                   related_name="+")
    sla_policy = models.ForeignKey("sla.SlaPolicy", on_delete=models.CASCADE, null=True,
                                   related_name="+")
    total = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "department"], name="reports_compl_day_dept")]
