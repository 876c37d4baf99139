"""Retention: delete outbox rows done (task handed to the broker, email sent or given up)
more than --days ago (default OUTBOX_RETENTION_DAYS). Pending rows are kept. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand

from outbox import services


class Command(BaseCommand):
    help = "Delete outbox tasks and emails done more than N days ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"default OUTBOX_RETENTION_DAYS ({settings.OUTBOX_RETENTION_DAYS})")

    def handle(self, *args, days=None, **options):
        deleted = services.outbox_prune(older_than_days=days)
        self.stdout.write(f"deleted {deleted['tasks']} outbox tasks, {deleted['emails']} emails")
