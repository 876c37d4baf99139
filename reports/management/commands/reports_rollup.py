"""Compute the reports' daily roll-ups now (what the beat job does), every missing day, or
every day again (after loading tickets with past dates outside the services, e.g.
seed_volume, which marks no day dirty).

    python manage.py reports_rollup [--all | --rebuild]
"""

from django.core.management.base import BaseCommand

from reports import rollups
from reports.models import RollupDay


class Command(BaseCommand):
    help = "Compute the reports' daily roll-ups (recent, dirty and missing days)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true",
                            help="every missing day, not REPORTS_ROLLUP_BATCH_DAYS at most")
        parser.add_argument("--rebuild", action="store_true",
                            help="forget the stored days first, then compute every day")

    def handle(self, *args, **opts):
        if opts["rebuild"]:
            RollupDay.objects.all().delete()  # each day's rows are replaced when computed
        days = rollups.rollups_refresh(
            batch_days=10**6 if opts["all"] or opts["rebuild"] else None)
        self.stdout.write(f"{len(days)} days computed"
                          + (f" ({days[0]} .. {days[-1]})" if days else ""))
