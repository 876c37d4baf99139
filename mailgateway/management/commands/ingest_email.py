"""python manage.py ingest_email [FILE ...]: store then process raw messages.

Reads raw RFC 5322 messages from the files (or standard input, for an MTA pipe); an mbox
file (first line "From ") holds several. Each message is stored first, then processed by
the Celery task `mailgateway.tasks.process_inbound` when there is one (run in-process by
the embedded default, whose tasks are eager; queued to the workers otherwise), else by the
service directly; `--sync` always processes in this process. Prints one outcome line per
message and exits non-zero only when a message could not be stored.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from mailgateway import services, tasks
from mailgateway.inbound.mbox import split_input
from mailgateway.models import InboundMessage


def outcome_line(row: InboundMessage) -> str:
    status = row.status
    if status == InboundMessage.Status.THREADED:
        return f"threaded {row.ticket.number}"
    if status == InboundMessage.Status.AUTOMATIC:
        suffix = f" {row.ticket.number}" if row.ticket_id else ""
        return f"automatic ({row.reason}){suffix}"
    if status == InboundMessage.Status.QUARANTINED:
        return f"quarantined ({row.reason})"
    if status == InboundMessage.Status.PENDING and row.last_error:
        return f"stored, processing deferred ({row.last_error.splitlines()[0][:200]})"
    if status == InboundMessage.Status.PENDING:
        return "stored, queued for processing"
    return row.get_status_display().lower()


class Command(BaseCommand):
    help = "Store and process raw emails (RFC 5322 files, mbox files, or standard input)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="files to read; none or '-' = stdin")
        parser.add_argument("--sync", action="store_true",
                            help="process in this process instead of queuing the task")

    def handle(self, *args, **options):
        names = options["files"] or ["-"]
        self.task = None if options["sync"] else getattr(tasks, "process_inbound", None)
        failures = 0
        for name in names:
            try:
                data = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()
            except OSError as error:
                self.stderr.write(f"{name}: not stored ({error})")
                failures += 1
                continue
            messages = split_input(data)
            for index, raw in enumerate(messages, start=1):
                label = name if len(messages) == 1 else f"{name}#{index}"
                failures += self._ingest(label, raw)
        if failures:
            raise CommandError(f"{failures} message(s) could not be stored", returncode=75)

    def _ingest(self, label: str, raw: bytes) -> int:
        try:
            row, created = services.inbound_message_store(
                raw=raw, source=InboundMessage.Source.PIPE)
        except Exception as error:  # report and go on with the next message
            self.stderr.write(f"{label}: not stored ({error!r})")
            return 1
        if not created and row.status != InboundMessage.Status.PENDING:
            self.stdout.write(f"{label}: duplicate ({row.status})")
            return 0
        row = self._process(row)  # new, or stored before and still pending
        self.stdout.write(f"{label}: {outcome_line(row)}")
        return 0

    def _process(self, row: InboundMessage) -> InboundMessage:
        try:
            if self.task is None:  # the row just stored: not read again
                return services.inbound_message_process(inbound_id=row.pk, stored=row)
            self.task.delay(row.pk)
        except Exception as error:  # stays pending; the beat re-queue retries it
            services.inbound_message_record_error(inbound_id=row.pk, error=repr(error))
        row.refresh_from_db()
        return row
