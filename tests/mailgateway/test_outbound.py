"""Outbound ticket email: what each notification carries, parsed from the bytes we send."""

import email
from email import policy

import pytest
from django.core import mail

from mailgateway import outbound
from mailgateway.message_ids import LOOP_HEADER, message_id_ticket
from mailgateway.models import InboundMessage, OutboundMessage
from tests.factories import TicketFactory, upload
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def parsed(message) -> email.message.EmailMessage:
    """The bytes a backend would put on the wire, parsed back."""
    raw = message.message().as_bytes(linesep="\r\n")
    return email.message_from_bytes(raw, policy=policy.default)


def texts(msg) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in msg.walk()
            if part.get_content_type() in ("text/plain", "text/html")}


@pytest.fixture
def ticket(two_orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return TicketFactory.create(requester=two_orgs.maria, subject="Audio en una dirección")


def test_confirmation_is_sent_on_commit_with_every_threading_header(ticket, settings):
    assert len(mail.outbox) == 1
    msg = parsed(mail.outbox[0])
    row = OutboundMessage.objects.get(ticket=ticket)
    assert row.kind == outbound.CREATED and row.sent_at is not None and row.is_automatic
    assert msg["Subject"] == f"[#{ticket.number}] Audio en una dirección"
    assert msg["Message-ID"].strip() == row.header_message_id
    assert message_id_ticket(msg["Message-ID"].strip()) == ticket.pk
    assert msg["Reply-To"] == settings.SUPPORT_INBOUND_ADDRESS
    assert msg["To"] == "maria@acme.example"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Precedence"] == "bulk"
    assert msg[LOOP_HEADER]
    assert set(texts(msg)) == {"text/plain", "text/html"}
    event = ticket.events.get(kind=TicketEvent.Kind.MAIL_SENT)
    assert event.data["outbound_id"] == row.pk and event.data["mail_kind"] == "created"


def test_agent_reply_carries_its_attachments_and_is_not_auto_submitted(ticket, two_orgs,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply_create(
            ticket=ticket, author=two_orgs.agent, body="Please send the SIP trace.",
            kind="agent", source="admin", files=[upload("capture.pcap", b"\xd4\xc3\xb2\xa1data",
                                                        "application/vnd.tcpdump.pcap")])
    msg = parsed(mail.outbox[-1])
    assert "Auto-Submitted" not in msg and "Precedence" not in msg
    assert msg[LOOP_HEADER]
    assert "Please send the SIP trace." in texts(msg)["text/plain"]
    files = [(p.get_filename(), p.get_content()) for p in msg.iter_attachments()]
    assert files == [("capture.pcap", b"\xd4\xc3\xb2\xa1data")]
    row = OutboundMessage.objects.get(ticket_message=reply)
    assert row.kind == "agent_reply" and not row.is_automatic


def test_in_reply_to_and_references_follow_the_thread(ticket, two_orgs,
                                                      django_capture_on_commit_callbacks):
    confirmation = OutboundMessage.objects.get(ticket=ticket).header_message_id
    InboundMessage.objects.create(dedupe_key="x" * 64, header_message_id="<customer-1@acme.example>",
                                  raw=b"", source="smtp", ticket=ticket, status="threaded")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="On it.",
                                     kind="agent", source="admin")
    msg = parsed(mail.outbox[-1])
    assert msg["In-Reply-To"].strip() == "<customer-1@acme.example>"
    assert msg["References"].split() == [confirmation, "<customer-1@acme.example>"]


def test_automatic_inbound_mail_is_not_referenced(ticket):
    InboundMessage.objects.create(dedupe_key="b" * 64, header_message_id="<bounce@mx.example>",
                                  raw=b"", source="smtp", ticket=ticket, status="automatic",
                                  is_automatic=True)
    assert "<bounce@mx.example>" not in outbound.thread_message_ids(ticket=ticket)


def test_references_are_bounded_to_the_last_twenty(ticket):
    for n in range(30):
        InboundMessage.objects.create(dedupe_key=f"{n:064d}", header_message_id=f"<m{n}@x.example>",
                                      raw=b"", source="smtp", ticket=ticket, status="threaded")
    refs = outbound.thread_message_ids(ticket=ticket)
    assert len(refs) == outbound.REFERENCES_MAX
    assert refs[-1] == "<m29@x.example>"


@pytest.mark.parametrize("language", ["en", "es"])
def test_mail_is_rendered_in_the_requesters_language(two_orgs, language,
                                                     django_capture_on_commit_callbacks):
    two_orgs.juan.language = language
    two_orgs.juan.save()
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory.create(requester=two_orgs.juan)
    msg = parsed(mail.outbox[-1])
    assert msg["Content-Language"] == language
    assert f'<html lang="{language}">' in texts(msg)["text/html"]


@pytest.mark.parametrize("browser", ["en", "es"])
def test_a_contact_following_the_browser_gets_mail_in_its_language(
        client, two_orgs, browser, django_capture_on_commit_callbacks):
    """Blank language: the pages follow the browser, and so do the emails, from the
    language the browser asked for at the last sign-in (an email has no browser)."""
    from django.urls import reverse

    from tests.factories.accounts import PASSWORD

    juan = two_orgs.juan
    juan.language = ""
    juan.set_password(PASSWORD)
    juan.save()
    client.post(reverse("accounts:login"), {"username": juan.email, "password": PASSWORD},
                HTTP_ACCEPT_LANGUAGE=f"{browser},fr;q=0.8")
    juan.refresh_from_db()
    assert juan.browser_language == browser and juan.language == ""
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory.create(requester=juan)
    assert parsed(mail.outbox[-1])["Content-Language"] == browser
    juan.language = "es" if browser == "en" else "en"  # a chosen language wins
    juan.save()
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory.create(requester=juan)
    assert parsed(mail.outbox[-1])["Content-Language"] == juan.language


def test_a_browser_language_the_site_does_not_offer_gives_the_pages_language(client,
                                                                          two_orgs):
    from django.conf import settings
    from django.urls import reverse

    from tests.factories.accounts import PASSWORD

    juan = two_orgs.juan
    juan.language, juan.browser_language = "", "es" if settings.LANGUAGE_CODE == "en" else "en"
    juan.set_password(PASSWORD)
    juan.save()
    client.post(reverse("accounts:login"), {"username": juan.email, "password": PASSWORD},
                HTTP_ACCEPT_LANGUAGE="fr")
    juan.refresh_from_db()
    assert juan.browser_language == settings.LANGUAGE_CODE  # what the pages showed


@pytest.mark.parametrize("subject", [
    "Line one\r\nBcc: victim@example.com\r\n\r\nbody", "x" * 10_000,
    "é" * 5_000 + "\n" + "ñ" * 5_000, "tab\there\x00nul\x0bvt",
])
def test_any_subject_gives_one_valid_bounded_subject_header(two_orgs, subject):
    ticket = Ticket(number="ABC-123-45678", subject=subject, requester=two_orgs.maria)
    built = outbound.ticket_notification_build(
        kind="created", ticket=ticket, message=None,
        header_message_id="<t1.0000000000000000.00000000000000000000000000000000@h.example>")
    raw = built.message().as_bytes(linesep="\r\n")
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert len(msg.get_all("Subject")) == 1
    assert msg.get_all("Bcc") is None
    value = str(msg["Subject"]).strip()
    assert value.startswith("[#ABC-123-45678] ")
    assert "\r" not in value and "\n" not in value
    assert len(value) <= outbound.SUBJECT_MAX_CHARS
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in header_block.split(b"\r\n"))


def test_anymail_backend_sends_through_the_esp_path(ticket, two_orgs, settings,
                                                    django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    sent = mail.outbox[-1]
    params = sent.anymail_test_params
    assert params["subject"].startswith(f"[#{ticket.number}]")
    assert params["extra_headers"]["Auto-Submitted"] == "auto-replied"
    row = OutboundMessage.objects.get(ticket=ticket, kind="resolved")
    assert params["extra_headers"]["Message-ID"] == row.header_message_id
    assert row.sent_at is not None


def test_embedded_backend_writes_a_parseable_eml(two_orgs, settings, tmp_path,
                                                 django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "helpdesk.mail_backends.EmlFileBackend"
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory.create(requester=two_orgs.maria)
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith(f"[#{ticket.number}]")


def test_resolved_and_reopened_mail(ticket, two_orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="Still broken")
    kinds = list(OutboundMessage.objects.filter(ticket=ticket).order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["created", "resolved", "reopened"]
    assert all(parsed(m)["Auto-Submitted"] == "auto-replied" for m in mail.outbox)


def test_a_reply_to_our_mail_threads_by_its_message_id_even_without_the_tag(
        ticket, django_capture_on_commit_callbacks):
    """The contract between both halves: the Message-ID we send comes back in In-Reply-To."""
    from mailgateway import services as inbound_services
    from tests.factories.mailgateway import raw_email

    ours = parsed(mail.outbox[0])["Message-ID"].strip()
    raw = raw_email(subject="Re: your request", body="Thanks, works now.",
                    in_reply_to=ours, references=ours)
    with django_capture_on_commit_callbacks(execute=True):
        row, _ = inbound_services.inbound_message_store(raw=raw, source="smtp")
        row = inbound_services.inbound_message_process(inbound_id=row.pk)
    assert row.status == InboundMessage.Status.THREADED and row.ticket == ticket
    assert row.ticket_message.body == "Thanks, works now."
    # …and our next mail about the ticket references that reply.
    refs = outbound.thread_message_ids(ticket=ticket)
    assert refs[-1] == row.header_message_id


def test_non_ascii_attachment_names_survive(ticket, two_orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Adjunto.",
                                     kind="agent", source="admin",
                                     files=[upload("configuración año.txt", b"sip.conf\n")])
    msg = parsed(mail.outbox[-1])
    assert [p.get_filename() for p in msg.iter_attachments()] == ["configuración año.txt"]
