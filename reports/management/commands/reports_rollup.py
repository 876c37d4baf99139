"""Compute the reports' daily roll-ups now (what the beat job does), or every missing day.

    python manage.py reports_rollup [--all]
"""

from django.core.management.base import BaseCommand

from reports import rollups


class Command(BaseCommand):
    help = "Compute the reports' daily roll-ups (recent, dirty and missing days)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true",
                            help="every missing day, not REPORTS_ROLLUP_BATCH_DAYS at most")

    def handle(self, *args, **opts):
        days = rollups.rollups_refresh(batch_days=10**6 if opts["all"] else None)
        self.stdout.write(f"{len(days)} days computed"
                          + (f" ({days[0]} .. {days[-1]})" if days else ""))
