"""Attachments on an S3-compatible object store: a real S3 server (moto's standalone
server, an HTTP process started by the `s3_server` fixture), not an in-process mock.
Upload through the customer form, download through the permission-checked views (streamed
and redirected to a signed URL), outbound mail reading the agent's attachment from S3, and
an unreachable store refusing the upload cleanly."""

from __future__ import annotations

import email
import os
import re
import urllib.request
from email import policy

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import TicketFactory, upload
from tests.support.procs import S3Server
from tests.tickets.agent_setup import make_agent
from tickets import downloads as downloads
from tickets import exceptions as exc
from tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

KEY = re.compile(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}")
PAYLOAD = os.urandom(300 * 1024)  # binary, several chunks, over one network packet


def _submit(client, **files):
    return client.post(reverse("tickets:submit_details", args=["sipstation-general"]), {
        "submission_key": "3f8e4b3c-54a4-4b57-9c69-0d7b5f0b1a11",
        "subject": "Registro SIP intermitente", "message": "Adjunto la traza.", **files})


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _download(client, attachment) -> object:
    ticket = attachment.message.ticket
    return client.get(reverse("tickets:attachment", args=[ticket.number, attachment.pk]))


def test_customer_upload_is_a_private_object_with_a_random_key(client, two_orgs, s3_bucket,
                                                               s3_server, settings):
    client.force_login(two_orgs.maria)
    response = _submit(client, attachments=[upload("traza <1>.pcap", PAYLOAD, "text/html")])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert KEY.fullmatch(attachment.file.name)
    assert s3_server.keys(s3_bucket) == [attachment.file.name]
    assert _media_files(settings) == []
    s3 = s3_server.client()
    head = s3.head_object(Bucket=s3_bucket, Key=attachment.file.name)
    assert head["ContentLength"] == len(PAYLOAD)
    # Inert whatever the uploader claimed: never served as text/html by the store.
    assert head["ContentType"] == "application/octet-stream"
    assert head["ContentDisposition"] == "attachment"
    grants = s3.get_object_acl(Bucket=s3_bucket, Key=attachment.file.name)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants)  # no AllUsers/AuthenticatedUsers


def test_streamed_download_is_byte_identical_and_other_org_gets_404(client, two_orgs,
                                                                    s3_bucket, settings):
    settings.ATTACHMENT_DOWNLOAD = "stream"
    client.force_login(two_orgs.maria)
    _submit(client, attachments=[upload("traza.pcap", PAYLOAD)])
    attachment = Attachment.objects.get()
    response = _download(client, attachment)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PAYLOAD
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="traza.pcap"'
    assert response["Content-Length"] == str(len(PAYLOAD))
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(two_orgs.ana)
    assert _download(client, attachment).status_code == 404


def test_redirected_download_is_a_short_signed_url_forcing_the_download(client, two_orgs,
                                                                        s3_bucket, s3_server,
                                                                        settings):
    settings.ATTACHMENT_DOWNLOAD = "redirect"
    settings.ATTACHMENT_SIGNED_URL_SECONDS = 45
    client.force_login(two_orgs.maria)
    _submit(client, attachments=[upload("configuración.txt", PAYLOAD, "text/html")])
    attachment = Attachment.objects.get()
    response = _download(client, attachment)
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{s3_server.endpoint_url}/{s3_bucket}/{attachment.file.name}?")
    assert "X-Amz-Expires=45" in url and "X-Amz-Signature=" in url
    assert response["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(url, timeout=10) as s3_response:  # what the browser does
        assert s3_response.read() == PAYLOAD
        assert s3_response.headers["Content-Type"] == "application/octet-stream"
        assert s3_response.headers["Content-Disposition"] == (
            "attachment; filename*=utf-8''configuraci%C3%B3n.txt")
    client.force_login(two_orgs.ana)
    assert _download(client, attachment).status_code == 404


def test_agent_workspace_download_streams_from_the_bucket(client, two_orgs, s3_bucket):
    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload("a.bin", PAYLOAD)])
    attachment = Attachment.objects.get()
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    response = client.get(reverse("admin:tickets_ticket_attachment",
                                  args=[ticket.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PAYLOAD


def test_missing_object_is_404_not_500(client, two_orgs, s3_bucket, s3_server):
    TicketFactory.create(requester=two_orgs.maria, files=[upload("a.bin", PAYLOAD)])
    attachment = Attachment.objects.get()
    s3_server.client().delete_object(Bucket=s3_bucket, Key=attachment.file.name)
    client.force_login(two_orgs.maria)
    assert _download(client, attachment).status_code == 404


def test_outbound_agent_reply_reads_its_attachment_from_s3(two_orgs, s3_bucket, s3_server,
                                                           django_capture_on_commit_callbacks):
    from tickets import services

    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory.create(requester=two_orgs.maria)
        reply = services.ticket_reply_create(
            ticket=ticket, author=two_orgs.agent, body="Aquí va el parche.",
            kind=Message.Kind.AGENT, source=Message.Source.ADMIN,
            files=[upload("parche.bin", PAYLOAD, "application/octet-stream")])
    key = reply.attachments.get().file.name
    assert s3_server.keys(s3_bucket) == [key]
    sent = email.message_from_bytes(mail.outbox[-1].message().as_bytes(), policy=policy.default)
    assert [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()] == [
        ("parche.bin", PAYLOAD)]


@pytest.fixture
def unreachable_store(tmp_path, settings):
    """A bucket on an S3 server of its own, which is then stopped."""
    from helpdesk.storage_config import s3_storage

    server = S3Server(tmp_path / "s3").start()
    bucket = server.bucket_create()
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        bucket_name=bucket, endpoint_url=server.endpoint_url, access_key=server.access_key,
        secret_key=server.secret_key, region_name=server.region, connect_timeout_seconds=1,
        read_timeout_seconds=2, max_attempts=1)}
    server.stop()
    return server


def test_unreachable_store_keeps_the_form_and_saves_nothing(client, two_orgs,
                                                            unreachable_store, settings):
    client.force_login(two_orgs.maria)
    response = _submit(client, attachments=[upload("traza.pcap", PAYLOAD)])
    html = response.content.decode()
    assert response.status_code == 200
    assert str(exc.FILES_NOT_STORED) in html
    assert 'value="Registro SIP intermitente"' in html and "Adjunto la traza." in html
    assert (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count()) \
        == (0, 0, 0)
    assert _media_files(settings) == []


def test_unreachable_store_message_is_in_the_customers_language(client, two_orgs,
                                                                unreachable_store):
    two_orgs.maria.language = "es"
    two_orgs.maria.save(update_fields=["language"])
    client.force_login(two_orgs.maria)
    html = _submit(client, attachments=[upload("traza.pcap", PAYLOAD)]).content.decode()
    assert "No se pudieron guardar sus archivos" in html and "vuelva a elegir" in html
    assert Ticket.objects.count() == 0


def test_unreachable_store_on_agent_reply_keeps_the_agents_text(client, two_orgs,
                                                                unreachable_store):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    response = client.post(reverse("admin:desk_action", args=[ticket.pk, "reply"]), {
        "action": "reply", "kind": "reply", "body": "Instale el parche adjunto.",
        "send_anyway": "on",
        "files": [upload("parche.bin", PAYLOAD)]})
    html = response.content.decode()
    assert response.status_code == 400
    assert str(exc.FILES_NOT_STORED) in html
    assert "Instale el parche adjunto.</textarea>" in html
    assert ticket.messages.count() == 1 and Attachment.objects.count() == 0


def test_store_down_when_mail_reads_an_attachment_is_a_retryable_error(two_orgs, tmp_path,
                                                                       settings):
    from helpdesk.storage_config import s3_storage
    from mailgateway import tasks
    from tickets import attachment_store

    server = S3Server(tmp_path / "s3").start()
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        bucket_name=server.bucket_create(), endpoint_url=server.endpoint_url,
        access_key=server.access_key, secret_key=server.secret_key, region_name=server.region,
        connect_timeout_seconds=1, read_timeout_seconds=2, max_attempts=1)}
    TicketFactory.create(requester=two_orgs.maria, files=[upload("a.bin", PAYLOAD)])
    attachment = Attachment.objects.get()
    assert attachment_store.file_read(attachment=attachment) == PAYLOAD
    server.stop()
    with pytest.raises(tasks.RETRYABLE):  # the send task retries it with backoff
        attachment_store.file_read(attachment=Attachment.objects.get())


def test_store_down_on_download_is_a_503_logged_with_its_traceback(client, two_orgs, tmp_path,
                                                                   settings, caplog):
    from helpdesk.storage_config import s3_storage

    server = S3Server(tmp_path / "s3").start()
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        bucket_name=server.bucket_create(), endpoint_url=server.endpoint_url,
        access_key=server.access_key, secret_key=server.secret_key, region_name=server.region,
        connect_timeout_seconds=1, read_timeout_seconds=2, max_attempts=1)}
    settings.ATTACHMENT_DOWNLOAD = "stream"
    TicketFactory.create(requester=two_orgs.maria, files=[upload("a.bin", PAYLOAD)])
    attachment = Attachment.objects.get()
    server.stop()
    client.force_login(two_orgs.maria)
    response = _download(client, attachment)
    assert response.status_code == 503
    assert response.content.decode() == str(downloads.STORE_UNAVAILABLE)
    [record] = [r for r in caplog.records if r.name == "tickets.downloads"]
    assert record.exc_info is not None  # the traceback is in the log, not only the repr


def test_a_programming_error_in_a_download_is_a_500_not_a_503(two_orgs, s3_bucket, settings,
                                                              monkeypatch):
    from django.test import Client

    settings.ATTACHMENT_DOWNLOAD = "stream"
    TicketFactory.create(requester=two_orgs.maria, files=[upload("a.bin", PAYLOAD)])
    attachment = Attachment.objects.get()

    def broken(name):
        raise TypeError("a bug, not the store")

    monkeypatch.setattr(downloads, "download_name", broken)
    client = Client(raise_request_exception=False)
    client.force_login(two_orgs.maria)
    assert _download(client, attachment).status_code == 500
