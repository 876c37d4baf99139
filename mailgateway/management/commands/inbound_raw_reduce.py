"""Retention: reduce raw inbound mail older than --days (default RETENTION_INBOUND_RAW_DAYS)
to its header block; the parsed text and attachments stay on the ticket. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand

from mailgateway.retention import inbound_raw_reduce


class Command(BaseCommand):
    help = "Drop the raw bytes of finished inbound mail older than N days (headers kept)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help=(
            f"default RETENTION_INBOUND_RAW_DAYS ({settings.RETENTION_INBOUND_RAW_DAYS})"))

    def handle(self, *args, days=None, **options):
        reduced = inbound_raw_reduce(older_than_days=days)
        self.stdout.write(f"reduced {reduced} inbound messages to their headers")
