import pytest

from mailgateway import services
from mailgateway.inbound import reasons
from mailgateway.message_ids import LOOP_HEADER, message_id_make
from mailgateway.models import InboundMessage, OutboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


_MODE = {"batch": False, "pipe": False}


@pytest.fixture(autouse=True, params=["one", "pipe", "batch"])
def processing_mode(request):
    """Every rule holds whether a message is processed alone (by its id, or the MTA pipe's
    way: the row just stored handed over, not read again) or in a batch (one transaction
    for many messages, lookups prefetched)."""
    _MODE["batch"] = request.param == "batch"
    _MODE["pipe"] = request.param == "pipe"
    yield request.param
    _MODE["batch"] = _MODE["pipe"] = False


def ingest(raw: bytes) -> InboundMessage:
    row, _created = services.inbound_message_store(raw=raw, source=InboundMessage.Source.PIPE)
    if _MODE["batch"]:
        services.inbound_messages_process(inbound_ids=[row.pk])
        return InboundMessage.objects.get(pk=row.pk)
    if _MODE["pipe"]:
        return services.inbound_message_process(inbound_id=row.pk, stored=row)
    return services.inbound_message_process(inbound_id=row.pk)


def test_reply_with_tag_threads(two_orgs, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(subject=f"RE: {ticket.subject_tag} {ticket.subject}",
                               body="It works now.\n\nOn Mon, Maria wrote:\n> old text"))
    assert row.status == InboundMessage.Status.THREADED
    assert row.ticket == ticket
    assert row.ticket_message.body == "It works now."
    assert row.ticket_message.kind == Message.Kind.CUSTOMER
    assert row.ticket_message.source == Message.Source.EMAIL


def test_same_message_twice_is_stored_once(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(subject=f"Re: {ticket.subject_tag}", message_id="<dup-1@client.example>")
    first, created = services.inbound_message_store(raw=raw, source="pipe")
    second, created_again = services.inbound_message_store(raw=raw, source="smtp")
    assert created and not created_again and first.pk == second.pk
    services.inbound_message_process(inbound_id=first.pk)
    services.inbound_message_process(inbound_id=first.pk)
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 1


def test_message_without_message_id_twice(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(subject=f"Re: {ticket.subject_tag}", message_id=None)
    first, created = services.inbound_message_store(raw=raw, source="pipe")
    second, created_again = services.inbound_message_store(raw=raw.replace(b"\n", b"\r\n"),
                                                           source="pipe")
    assert created and not created_again and first.pk == second.pk
    assert first.header_message_id == ""


def test_signed_message_id_threads_without_tag(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ours = message_id_make(ticket_id=ticket.pk)
    row = ingest(raw_email(subject="Re: your question", in_reply_to=ours, references=ours))
    assert row.status == InboundMessage.Status.THREADED and row.ticket == ticket
    assert row.reason == reasons.THREADED_BY_MESSAGE_ID


def test_forged_message_id_is_quarantined(two_orgs, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    forged = f"<t{ticket.pk}.0123456789abcdef.{'0' * 32}@helpdesk.example>"
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(subject="Re: hi", in_reply_to=forged))
    assert row.status == InboundMessage.Status.QUARANTINED
    assert row.reason == reasons.NO_REFERENCE
    assert row.ticket is None
    assert not ticket.messages.filter(source=Message.Source.EMAIL).exists()


def test_stranger_using_a_valid_tag_is_quarantined(two_orgs, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(from_addr="ana@globex.example",
                               subject=f"Re: {ticket.subject_tag} {ticket.subject}"))
    assert row.status == InboundMessage.Status.QUARANTINED
    assert row.reason == reasons.SENDER_OTHER_ORGANIZATION
    assert not ticket.messages.filter(source=Message.Source.EMAIL).exists()
    # One bilingual notice, automatic, revealing nothing about the ticket.
    assert [m.to for m in mailoutbox] == [["ana@globex.example"]]
    notice = mailoutbox[0]
    assert ticket.number not in notice.subject + notice.body
    assert ticket.subject not in notice.body
    assert "Hola" in notice.body and "Hello" in notice.body
    assert notice.extra_headers["Auto-Submitted"] == "auto-replied"
    assert notice.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert notice.extra_headers["Precedence"] == "bulk"
    assert LOOP_HEADER in notice.extra_headers


def test_reply_to_pretending_to_be_the_requester_is_quarantined(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = ingest(raw_email(from_addr="attacker@evil.example",
                           headers={"Reply-To": "maria@acme.example",
                                    "Sender": "maria@acme.example"},
                           subject=f"Re: {ticket.subject_tag}"))
    assert row.status == InboundMessage.Status.QUARANTINED
    assert row.from_address == "attacker@evil.example"


def test_notice_is_rate_limited_per_address(two_orgs, mailoutbox,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            ingest(raw_email(from_addr="Someone@Else.example", subject=f"question {n}"))
    assert len(mailoutbox) == 1
    assert InboundMessage.objects.filter(status=InboundMessage.Status.QUARANTINED).count() == 3


def test_sender_checks_are_case_insensitive_and_follow_the_access_rule(two_orgs):
    from tickets import participant_services

    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = ingest(raw_email(from_addr="María <MARIA@Acme.Example>",
                           subject=f"RE: RE: [External] {ticket.subject_tag} x"))
    assert row.status == InboundMessage.Status.THREADED
    assert row.ticket_message.author == two_orgs.maria
    # A plain colleague may not (the site answers him 404 too) ...
    colleague = ingest(raw_email(from_addr="juan@acme.example",
                                 subject=f"AW: {ticket.subject_tag.lower()}"))
    assert colleague.status == InboundMessage.Status.QUARANTINED
    assert colleague.reason == reasons.SENDER_NOT_PARTICIPANT
    # ... until the requester adds him.
    participant_services.ticket_participant_add(
        ticket=ticket, contact=two_orgs.juan, actor=two_orgs.maria,
        source=participant_services.Source.SITE)
    colleague = ingest(raw_email(from_addr="juan@acme.example",
                                 subject=f"AW: {ticket.subject_tag.lower()}"))
    assert colleague.status == InboundMessage.Status.THREADED
    assert colleague.ticket_message.author == two_orgs.juan


def test_a_past_author_who_is_not_a_user_may_not_write(two_orgs):
    from tickets import services as ticket_services

    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket_services.ticket_reply_create(ticket=ticket, author=None, body="cc'd partner",
                                        author_email="partner@integrator.example",
                                        source=Message.Source.EMAIL)
    row = ingest(raw_email(from_addr="Partner@Integrator.example",
                           subject=f"Fwd: {ticket.subject_tag}"))
    assert row.status == InboundMessage.Status.QUARANTINED
    assert row.reason == reasons.SENDER_UNKNOWN
    assert row.ticket_message is None


@pytest.mark.parametrize("subject", [
    "RE: [#{n}] One-way audio", "Re: [#{n}]", "AW: Re: [#{n}] audio", "RV: [#{n}] audio",
    "RE: RE: [#{n}] audio", "Fwd: [#{n}] audio", "[External] RE: [#{n}] audio",
    "re: [# {lower} ] audio", "=?utf-8?q?RE=3A_=5B=23{n}=5D_Audio_unidireccional?=",
    "=?iso-8859-1?b?{b64}?=",
])
def test_subject_tag_survives_every_client(two_orgs, subject):
    import base64

    ticket = TicketFactory.create(requester=two_orgs.maria)
    b64 = base64.b64encode(f"RE: [#{ticket.number}] Audio".encode("latin-1")).decode()
    subject = subject.format(n=ticket.number, lower=ticket.number.lower(), b64=b64)
    raw = raw_email(subject="PLACEHOLDER").replace(b"Subject: PLACEHOLDER",
                                                  b"Subject: " + subject.encode())
    row = ingest(raw)
    assert row.status == InboundMessage.Status.THREADED, row.reason
    assert row.ticket == ticket


def test_folded_subject_line(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(subject="PLACEHOLDER").replace(
        b"Subject: PLACEHOLDER", f"Subject: RE: a very long subject line\r\n [#{ticket.number}]"
        .encode())
    assert ingest(raw).ticket == ticket


def test_reply_to_a_resolved_ticket_reopens_it(two_orgs):
    from tickets import services as ticket_services

    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket_services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    ingest(raw_email(subject=f"Re: {ticket.subject_tag}", body="It broke again."))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(kind="reopened").count() == 1


def test_out_of_office_does_not_reopen_and_sends_nothing(two_orgs, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    from tickets import services as ticket_services

    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket_services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(subject=f"Automatic reply: {ticket.subject_tag} audio",
                               body="I am out of the office until Monday.",
                               headers={"Auto-Submitted": "auto-replied",
                                        "X-Auto-Response-Suppress": "All"}))
    ticket.refresh_from_db()
    assert row.status == InboundMessage.Status.AUTOMATIC and row.is_automatic
    assert row.ticket == ticket and row.ticket_message.kind == Message.Kind.AUTOMATIC
    assert ticket.status == Ticket.Status.RESOLVED
    assert mailoutbox == []


def test_icloud_vacation_reply_is_automatic(two_orgs, mailoutbox,
                                            django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ours = message_id_make(ticket_id=ticket.pk)
    raw = raw_email(subject="Auto reply: One-way audio", body="I'm only sleeping.",
                    in_reply_to=ours, references=ours,
                    headers={"X-Apple-Action": "VACATION",
                             "X-Apple-Criteria": "{kind=VACATION}"})
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw)
    assert row.status == InboundMessage.Status.AUTOMATIC
    assert row.reason == reasons.VACATION_HEADER % "X-Apple-Action"
    assert row.ticket_message.kind == Message.Kind.AUTOMATIC
    assert mailoutbox == []


def test_automatic_mail_without_ticket_sends_nothing(two_orgs, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(from_addr="MAILER-DAEMON@mx.example", subject="Returned mail"))
    assert row.status == InboundMessage.Status.AUTOMATIC and row.ticket is None
    assert mailoutbox == []


BOUNCE = """\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
To: support@helpdesk.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.acme.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BND"

--BND
Content-Type: text/plain

The mail system could not deliver your message.

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example

Final-Recipient: rfc822; maria@acme.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--BND
Content-Type: text/rfc822-headers

Message-ID: {ours}
Subject: {tag} One-way audio

--BND--
"""


def test_bounce_of_our_mail_marks_delivery_failed(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ours = message_id_make(ticket_id=ticket.pk)
    outbound = OutboundMessage.objects.create(
        ticket=ticket, kind="created", header_message_id=ours, to_address="maria@acme.example",
        subject=f"{ticket.subject_tag} x")
    bounce = BOUNCE.format(ours=ours, tag=ticket.subject_tag).encode()
    row = ingest(bounce)
    assert row.status == InboundMessage.Status.AUTOMATIC
    assert row.ticket == ticket
    assert row.ticket_message.kind == Message.Kind.DELIVERY_FAILURE
    outbound.refresh_from_db()
    assert outbound.delivery_failed_at is not None
    assert outbound.failure_reason == "Diagnostic-Code: smtp; 550 5.1.1 user unknown"
    event = ticket.events.get(kind="mail_failed")
    assert event.data["to"] == "maria@acme.example" and "5.1.1" in event.data["reason"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW  # a bounce changes no status


def test_our_own_mail_looping_back_is_automatic(two_orgs, mailoutbox,
                                                django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with django_capture_on_commit_callbacks(execute=True):
        looped = ingest(raw_email(message_id=message_id_make(ticket_id=ticket.pk),
                                  subject=f"{ticket.subject_tag} x"))
        header = ingest(raw_email(headers={LOOP_HEADER: "1"}, from_addr="x@y.example"))
    assert looped.reason == reasons.OUR_MESSAGE_ID and looped.is_automatic
    assert header.reason == reasons.LOOP_HEADER_SEEN
    assert mailoutbox == []


def test_oversized_attachment_is_noted_and_the_rest_kept(two_orgs, settings):
    settings.ATTACHMENT_MAX_FILE_BYTES = 1000
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = ingest(raw_email(subject=f"Re: {ticket.subject_tag}", body="Logs attached.",
                           attachments=(("big.pcap", b"x" * 5000, "application/octet-stream"),
                                        ("run.exe", b"MZ" * 10, "application/octet-stream"),
                                        ("trace.txt", b"SIP/2.0 200 OK", "text/plain"))))
    assert row.status == InboundMessage.Status.THREADED
    message = row.ticket_message
    assert [a.original_name for a in message.attachments.all()] == ["trace.txt"]
    assert message.body.startswith("Logs attached.")
    assert "big.pcap" in message.body and ".exe" in message.body


def test_html_only_reply_becomes_safe_text(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    html = ("<div>It <b>works</b> &amp; thanks<script>alert(1)</script></div>"
            "<div class=\"gmail_quote\">On Mon wrote:<blockquote>old</blockquote></div>")
    row = ingest(raw_email(subject=f"Re: {ticket.subject_tag}", body=None, html=html))
    assert row.ticket_message.body == "It works & thanks"


def test_agent_actions_refuse_messages_not_in_quarantine(two_orgs):
    from mailgateway import exceptions as exc

    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = ingest(raw_email(subject=f"Re: {ticket.subject_tag}"))
    with pytest.raises(exc.InboundActionRefused) as error:
        services.inbound_message_discard(inbound_id=row.pk, actor=two_orgs.agent)
    assert error.value.messages == [str(exc.NOT_QUARANTINED)]


def test_raw_bytes_are_kept_byte_for_byte(two_orgs):
    raw = raw_email(subject="x").replace(b"\n", b"\r\n") + b"\r\n\xff\xfe binary tail"
    row, _ = services.inbound_message_store(raw=raw, source="pipe")
    row.refresh_from_db()
    assert bytes(row.raw) == raw and row.size_bytes == len(raw)


def test_agent_mail_is_not_recorded_as_a_customer_message(two_orgs):
    from tickets import services as ticket_services

    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket_services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Try this",
                                        kind=Message.Kind.AGENT, source=Message.Source.ADMIN)
    row = ingest(raw_email(from_addr=two_orgs.agent.email, subject=f"Re: {ticket.subject_tag}"))
    assert row.status == InboundMessage.Status.QUARANTINED
    assert row.reason == reasons.STAFF_SENDER


def test_a_forward_keeps_the_forwarded_history(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    body = ("See the carrier's answer.\n\n________________________________\nFrom: NOC "
            "<noc@carrier.example>\nSent: Monday\nTo: Maria\nSubject: Trunk 4\n\nTrunk 4 is down.")
    row = ingest(raw_email(subject=f"FW: {ticket.subject_tag} audio", body=body))
    assert row.status == InboundMessage.Status.THREADED
    assert "Trunk 4 is down." in row.ticket_message.body
