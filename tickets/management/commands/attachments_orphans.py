"""Attachment files without a row, and rows without a file: the operator's safety net.

Files: everything under attachments/ on the configured store (local disk or the bucket)
that no Attachment row names and that is older than --min-age-minutes (younger files may
belong to a request still in flight). With --delete they are deleted.
Rows: Attachment rows whose file is missing (the download answers 404). They are only
reported: the row is the record that a file was sent; restore the file from the backup.
Exit status 0; the last line sums up (parseable: "orphan_files=N deleted=N missing_files=N").
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from tickets import attachment_store
from tickets.models import Attachment


class Command(BaseCommand):
    help = "Report (and with --delete remove) attachment files without a row; report rows " \
           "without a file."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true",
                            help="delete the orphan files (rows are never deleted)")
        parser.add_argument("--min-age-minutes", type=float, default=60,
                            help="only files older than this are orphans (default 60)")

    def handle(self, *args, delete: bool, min_age_minutes: float, **options):
        known = set(Attachment.objects.values_list("file", flat=True).iterator(chunk_size=5000))
        cutoff = time.time() - min_age_minutes * 60
        orphans, present = [], set()
        for key, modified in attachment_store.stored_files():
            if key in known:
                present.add(key)
            elif modified <= cutoff:
                orphans.append(key)
        for key in orphans:
            self.stdout.write(f"orphan file: {key}")
        failed = attachment_store.keys_delete(keys=orphans) if delete else orphans
        missing_names = sorted(known - present)
        for start in range(0, len(missing_names), 1000):
            rows = (Attachment.objects.filter(file__in=missing_names[start:start + 1000])
                    .select_related("message__ticket").order_by("pk"))
            for row in rows:
                self.stdout.write(f"missing file: attachment {row.pk} {row.file.name} "
                                  f"(ticket {row.message.ticket.number}, {row.original_name!r})")
        deleted = len(orphans) - len(failed) if delete else 0
        self.stdout.write(f"orphan_files={len(orphans)} deleted={deleted} "
                          f"missing_files={len(missing_names)}")
