"""No orphan file, ever: files are written before their rows and deleted unless the rows
commit. Write failures are real: the process's file size limit (RLIMIT_FSIZE, SIGXFSZ
ignored) makes the kernel refuse the write with EFBIG, as a full disk refuses it with
ENOSPC; the partial file it leaves must go too."""

from __future__ import annotations

import contextlib
import errno
import os

import pytest
from django.db import transaction
from django.urls import reverse

from mailgateway import services as mail_services
from mailgateway import tasks
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory, department, upload
from tests.factories.mailgateway import raw_email
from tests.support.procs import file_size_limited
from tickets import attachment_store, services
from tickets import exceptions as exc
from tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

LIMIT_BYTES = 256 * 1024
SMALL = os.urandom(10 * 1024)
BIG = os.urandom(600 * 1024)  # over the limit: written in part, then EFBIG


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_limit_is_a_real_write_failure(tmp_path):
    with file_size_limited(LIMIT_BYTES), pytest.raises(OSError) as error:
        (tmp_path / "probe").write_bytes(BIG)
    assert error.value.errno == errno.EFBIG
    assert (tmp_path / "probe").stat().st_size == LIMIT_BYTES  # the partial file a disk leaves


def test_failed_write_on_submit_keeps_the_form_saves_nothing_leaves_no_file(client, two_orgs,
                                                                            settings):
    client.force_login(two_orgs.maria)
    data = {"submission_key": "7d1c2a4e-5b8f-4c3d-9e2f-1a0b3c4d5e6f",
            "subject": "Audio cortado", "message": "Se corta a los 30 segundos.",
            "attachments": [upload("ok.txt", SMALL), upload("trace.pcap", BIG)]}
    with file_size_limited(LIMIT_BYTES):
        response = client.post(reverse("tickets:submit_details",
                                       args=["sipstation-general"]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert str(exc.FILES_NOT_STORED) in html and "choose them again" in html
    assert 'value="Audio cortado"' in html and "Se corta a los 30 segundos." in html
    assert (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count()) \
        == (0, 0, 0)
    assert media_files(settings) == []  # neither the whole first file nor the partial second


def test_failed_write_on_reply_keeps_the_text_and_saves_nothing(client, two_orgs, settings):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    client.force_login(two_orgs.maria)
    with file_size_limited(LIMIT_BYTES):
        response = client.post(reverse("tickets:reply", args=[ticket.number]), {
            "message": "Adjunto la captura.", "attachments": [upload("c.pcap", BIG)]})
    html = response.content.decode()
    assert response.status_code == 400
    assert str(exc.FILES_NOT_STORED) in html and "Adjunto la captura.</textarea>" in html
    assert ticket.messages.count() == 1 and media_files(settings) == []


def test_files_of_a_creation_refused_inside_the_transaction_are_deleted(two_orgs, settings):
    # The department is refused by the engine inside the transaction, after the write.
    with pytest.raises(exc.DepartmentUnavailable):
        services.ticket_create(requester=two_orgs.maria,
                               department=department("pbxact-ucc-configuration"),
                               subject="S", body="B", files=[upload("a.txt", SMALL)])
    assert Ticket.objects.count() == 0 and media_files(settings) == []


def test_files_over_the_ticket_total_found_under_the_lock_are_deleted(two_orgs, settings):
    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload("a.txt", SMALL)])
    settings.ATTACHMENT_MAX_TICKET_BYTES = len(SMALL) + 100
    with pytest.raises(exc.AttachmentRejected):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="more",
                                     files=[upload("b.txt", SMALL)])
    assert [p.name for p in media_files(settings)] == [Attachment.objects.get().file.name
                                                       .rsplit("/", 1)[-1]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_committed_files_stay_rolled_back_ones_go(two_orgs, settings):
    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload("kept.txt", SMALL)])
    kept = Attachment.objects.get()
    assert media_files(settings) == [settings.MEDIA_ROOT / kept.file.name]

    # A failure later in the same request, after the reply and its files were written.
    with pytest.raises(RuntimeError), attachment_store.files_guard(), transaction.atomic():
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="gone",
                                     files=[upload("gone.txt", SMALL)])
        assert len(media_files(settings)) == 2
        raise RuntimeError("later in the request")

    # A savepoint rolled back inside a transaction that commits.
    with attachment_store.files_guard(), transaction.atomic():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="undone",
                                         files=[upload("undone.txt", SMALL)])
            raise RuntimeError("savepoint rolled back")
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="done",
                                     files=[upload("done.txt", SMALL)])
    names = set(Attachment.objects.values_list("original_name", flat=True))
    assert names == {"kept.txt", "done.txt"}
    assert media_files(settings) == sorted(settings.MEDIA_ROOT / a.file.name
                                           for a in Attachment.objects.all())


def test_inbound_mail_whose_file_fails_stays_pending_and_is_retried(two_orgs, settings):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ids = mail_services.inbound_messages_store(raws=[
        raw_email(subject=f"Re: {ticket.subject_tag}", body="First, small file.",
                  attachments=[("small.txt", SMALL, "text/plain")]),
        raw_email(subject=f"Re: {ticket.subject_tag}", body="Second, big file.",
                  attachments=[("big.pcap", BIG, "application/octet-stream")]),
    ], source=InboundMessage.Source.PIPE)

    with file_size_limited(LIMIT_BYTES):
        # The batch: the second message's write fails after the first one's file was written.
        with pytest.raises(exc.AttachmentStoreFailed):
            mail_services.inbound_messages_process(inbound_ids=ids)
        assert media_files(settings) == []
        # Alone: the error is retryable (the task retries it) and the row stays pending.
        with pytest.raises(tasks.RETRYABLE):
            tasks._process_one(ids[1])
    row = InboundMessage.objects.get(pk=ids[1])
    assert row.status == InboundMessage.Status.PENDING and row.attempts == 1
    assert "AttachmentStoreFailed" in row.last_error
    assert ticket.messages.count() == 1 and media_files(settings) == []

    # The disk has room again: the retry lands both replies with their files.
    assert mail_services.inbound_messages_process(inbound_ids=ids) == {
        ids[0]: InboundMessage.Status.THREADED, ids[1]: InboundMessage.Status.THREADED}
    assert sorted(a.original_name for a in Attachment.objects.all()) == ["big.pcap",
                                                                         "small.txt"]
    assert len(media_files(settings)) == 2


def _boom() -> None:
    raise RuntimeError("a later on_commit callback failed")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_raising_on_commit_callback_does_not_cost_a_committed_row_its_file(two_orgs,
                                                                             settings):
    """Django stops at the first non-robust on_commit callback that raises, and the error
    leaves atomic() after COMMIT: the keep marker registered after it never runs."""
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with pytest.raises(RuntimeError, match="later on_commit"), \
            attachment_store.files_guard(), transaction.atomic():
        transaction.on_commit(_boom)  # non-robust, registered before the rows
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="kept",
                                     files=[upload("kept.txt", SMALL)])
    attachment = Attachment.objects.get()  # committed
    assert media_files(settings) == [settings.MEDIA_ROOT / attachment.file.name]
    assert attachment.file.open("rb").read() == SMALL


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_batch_whose_on_commit_callback_raises_keeps_every_committed_file(two_orgs,
                                                                                 settings):
    from django.db.models.signals import post_save

    ticket = TicketFactory.create(requester=two_orgs.maria)
    ids = mail_services.inbound_messages_store(raws=[
        raw_email(subject=f"Re: {ticket.subject_tag}", body=f"Reply {n}.",
                  attachments=[(f"file{n}.txt", SMALL + bytes([n]), "text/plain")])
        for n in range(3)], source=InboundMessage.Source.PIPE)
    registered = []

    def failing_callback_once(sender, instance, created, **kwargs):
        # Registered when the first reply's row is saved: before every keep marker.
        if created and not registered:
            registered.append(instance.pk)
            transaction.on_commit(_boom)

    post_save.connect(failing_callback_once, sender=Message, dispatch_uid="h2-probe")
    try:
        with pytest.raises(RuntimeError, match="later on_commit"):
            mail_services.inbound_messages_process(inbound_ids=ids)
    finally:
        post_save.disconnect(sender=Message, dispatch_uid="h2-probe")
    assert registered
    assert set(InboundMessage.objects.filter(pk__in=ids).values_list("status", flat=True)) \
        == {InboundMessage.Status.THREADED}  # the batch committed
    attachments = list(Attachment.objects.order_by("original_name"))
    assert [a.original_name for a in attachments] == ["file0.txt", "file1.txt", "file2.txt"]
    assert media_files(settings) == sorted(settings.MEDIA_ROOT / a.file.name
                                           for a in attachments)
    assert [a.file.open("rb").read() for a in attachments] == [SMALL + bytes([n])
                                                               for n in range(3)]


def test_when_the_rows_cannot_be_checked_no_file_is_deleted(two_orgs, settings, caplog):
    # A transaction marked for rollback refuses every query: the guard cannot tell whether
    # a row names the file, so it leaves the file to attachments_orphans and says so.
    with transaction.atomic():
        with attachment_store.files_guard():
            stored = attachment_store.files_write(files=[upload("a.txt", SMALL)])
            transaction.set_rollback(True)
    assert media_files(settings) == [settings.MEDIA_ROOT / stored[0].key]
    assert "left for attachments_orphans" in caplog.text and stored[0].key in caplog.text
