"""python manage.py ingest_email: files, standard input, mbox; one outcome line each."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from mailgateway.inbound.mbox import split_input
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email

pytestmark = pytest.mark.django_db


def _run(*args, stdin: bytes | None = None) -> list[str]:
    out = io.StringIO()
    if stdin is not None:
        fake = io.TextIOWrapper(io.BytesIO(stdin))
        old, sys.stdin = sys.stdin, fake
        try:
            call_command("ingest_email", *args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command("ingest_email", *args, stdout=out)
    return out.getvalue().splitlines()


def test_files_print_one_outcome_line_each(two_orgs, tmp_path):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    reply = tmp_path / "reply.eml"
    reply.write_bytes(raw_email(subject=f"Re: {ticket.subject_tag}"))
    bounce = tmp_path / "ooo.eml"
    bounce.write_bytes(raw_email(headers={"Auto-Submitted": "auto-replied"}))
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(raw_email(from_addr="who@else.example"))
    lines = _run(str(reply), str(bounce), str(stranger), str(reply))
    assert lines == [
        f"{reply}: threaded {ticket.number}",
        f"{bounce}: automatic (Auto-Submitted: auto-replied)",
        f"{stranger}: quarantined (no ticket tag in the subject and no reply to our mail)",
        f"{reply}: duplicate (threaded)",
    ]


def test_standard_input(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    lines = _run(stdin=raw_email(subject=f"RE: {ticket.subject_tag}"))
    assert lines == [f"-: threaded {ticket.number}"]


def test_mbox_file_each_message(two_orgs, tmp_path):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    first = raw_email(subject=f"Re: {ticket.subject_tag}", body="From now on it works.\n")
    second = raw_email(subject=f"Re: {ticket.subject_tag}", body="Second\nFrom here too\n")
    mbox = (b"From maria@acme.example Wed Nov 25 10:00:00 2026\n" + first.replace(
        b"\nFrom now", b"\n>From now") + b"\nFrom maria@acme.example Wed Nov 25 10:01:00 2026\n"
        + second + b"\n")
    path = tmp_path / "box.mbox"
    path.write_bytes(mbox)
    lines = _run(str(path))
    assert lines == [f"{path}#1: threaded {ticket.number}", f"{path}#2: threaded {ticket.number}"]
    bodies = list(ticket.messages.filter(source="email").values_list("body", flat=True))
    assert bodies == ["From now on it works.", "Second\nFrom here too"]


def test_unreadable_file_exits_non_zero(tmp_path, db):
    with pytest.raises(CommandError):
        _run(str(tmp_path / "missing.eml"))


def test_split_input_keeps_a_single_message_whole():
    raw = raw_email()
    assert split_input(raw) == [raw]
    assert InboundMessage.objects.count() == 0


def test_uses_the_processing_task_when_there_is_one(two_orgs, tmp_path, monkeypatch):
    from mailgateway import tasks

    queued = []

    class FakeTask:
        @staticmethod
        def delay(inbound_id):
            queued.append(inbound_id)

    monkeypatch.setattr(tasks, "process_inbound", FakeTask, raising=False)
    path = tmp_path / "m.eml"
    path.write_bytes(raw_email())
    assert _run(str(path)) == [f"{path}: stored, queued for processing"]
    assert queued == [InboundMessage.objects.get().pk]
    assert _run("--sync", str(path))[0].startswith(f"{path}: quarantined (")
