"""Retention of raw inbound mail: finished messages older than N days keep their headers;
the body's bytes go (the text and attachments are on the ticket); the admin says so."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mailgateway import services
from mailgateway.models import InboundMessage
from mailgateway.retention import header_block, inbound_raw_reduce
from mailgateway.tasks import inbound_raw_reduce as inbound_raw_reduce_task
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email

pytestmark = pytest.mark.django_db


def store(raw: bytes, *, process: bool = True) -> InboundMessage:
    row, _ = services.inbound_message_store(raw=raw, source=InboundMessage.Source.PIPE)
    if process:
        services.inbound_message_process(inbound_id=row.pk)
    return InboundMessage.objects.get(pk=row.pk)


@pytest.fixture
def rows(two_orgs, settings):
    settings.RETENTION_INBOUND_RAW_DAYS = 90
    ticket = TicketFactory.create(requester=two_orgs.maria)
    threaded = store(raw_email(subject=f"Re: {ticket.subject_tag}", body="Rebooted, works.",
                               attachments=(("trace.pcap", b"\xd4\xc3\xb2\xa1" * 1000,
                                             "application/octet-stream"),)))
    quarantined = store(raw_email(from_addr="stranger@else.example", subject="hi"))
    pending = store(raw_email(subject="later"), process=False)
    recent = store(raw_email(subject=f"Re: {ticket.subject_tag}", body="New one."))
    old = timezone.now() - dt.timedelta(days=91)
    InboundMessage.objects.exclude(pk=recent.pk).update(received_at=old)
    return {"threaded": threaded, "quarantined": quarantined, "pending": pending,
            "recent": recent}


def test_old_finished_mail_keeps_its_headers_and_loses_its_body(rows):
    threaded = rows["threaded"]
    original = bytes(threaded.raw)
    assert inbound_raw_reduce() == 1
    threaded.refresh_from_db()
    assert threaded.raw_reduced_at is not None
    assert bytes(threaded.raw) == header_block(original)
    assert b"Message-ID:" in bytes(threaded.raw) and b"Rebooted" not in bytes(threaded.raw)
    assert len(bytes(threaded.raw)) < len(original) // 4
    # The parsed form stays: the reply text and its attachment on the ticket message.
    message = threaded.ticket_message
    assert message.body == "Rebooted, works."
    assert [a.original_name for a in message.attachments.all()] == ["trace.pcap"]
    for name in ("quarantined", "pending", "recent"):  # an agent or the pipeline needs them
        row = InboundMessage.objects.get(pk=rows[name].pk)
        assert row.raw_reduced_at is None and bytes(row.raw) == bytes(rows[name].raw)


def test_reduction_is_idempotent_and_runs_from_command_and_beat_task(rows, capsys):
    call_command("inbound_raw_reduce")
    assert "reduced 1 inbound messages" in capsys.readouterr().out
    reduced_raw = bytes(InboundMessage.objects.get(pk=rows["threaded"].pk).raw)
    assert inbound_raw_reduce_task.apply().get() == 0
    call_command("inbound_raw_reduce", "--days", "0")  # the recent one too, now
    assert bytes(InboundMessage.objects.get(pk=rows["threaded"].pk).raw) == reduced_raw
    assert InboundMessage.objects.get(pk=rows["recent"].pk).raw_reduced_at is not None


def test_the_admin_says_the_raw_message_was_reduced(rows, client, two_orgs):
    inbound_raw_reduce()
    two_orgs.agent.is_superuser = True
    two_orgs.agent.save()
    client.force_login(two_orgs.agent)
    page = client.get(reverse("admin:mailgateway_inboundmessage_change",
                              args=[rows["threaded"].pk])).content.decode()
    assert "Reduced by retention on" in page
    assert "Rebooted, works." in page  # the reply preview comes from the ticket message


def test_header_block_of_lf_and_crlf_messages():
    assert header_block(b"A: 1\r\nB: 2\r\n\r\nbody\r\n") == b"A: 1\r\nB: 2\r\n\r\n"
    assert header_block(b"A: 1\nB: 2\n\nbody\n") == b"A: 1\nB: 2\r\n\r\n"
    assert header_block(b"A: 1\r\n") == b"A: 1\r\n\r\n"
