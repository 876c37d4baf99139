"""A forged From never threads: the SMTP listener computes the verdict (real DKIM, SPF and
DMARC against the test DNS server), the pipeline quarantines a DMARC failure where the
domain's policy is "enforce"; "none" keeps threading with the verdict recorded. The
listener accepts only the support addresses, from AUTH or trusted relays when configured,
within a size and a per-peer rate."""

import base64
import smtplib
import ssl

import pytest

from mailgateway import services
from mailgateway.inbound import reasons
from mailgateway.models import InboundMessage, SenderDomainPolicy
from outbox.models import OutboxEmail
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tests.mailgateway.corpus import corpus_dir
from tests.support.mail_auth import DkimKey, self_signed_certificate
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Status = InboundMessage.Status
SUPPORT = "support@helpdesk.example"


@pytest.fixture
def listen(smtp_listen):
    return smtp_listen


@pytest.fixture
def acme_dns(dns_zone):
    """acme.example publishes DMARC p=reject and an SPF that does not list 127.0.0.1."""
    key = DkimKey.generate(domain="acme.example")
    key.publish(dns_zone)
    dns_zone.txt("_dmarc.acme.example", "v=DMARC1; p=reject")
    dns_zone.txt("acme.example", "v=spf1 ip4:198.51.100.0/24 -all")
    return key


def send(port: int, raw: bytes, *, mail_from="maria@acme.example", to=(SUPPORT,)):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(mail_from, list(to), raw)


def reply_to(ticket, **kwargs) -> bytes:
    return raw_email(subject=f"RE: {ticket.subject_tag} Audio", body="Ya funciona.", **kwargs)


def test_forged_from_is_quarantined_and_never_threads(listen, acme_dns, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    before = ticket.messages.count()
    send(listen(), reply_to(ticket))
    row = InboundMessage.objects.get()
    assert (row.status, row.reason) == (Status.QUARANTINED, reasons.SENDER_UNVERIFIED)
    assert row.auth_result == "fail" and "spf=fail" in row.auth_reason
    assert ticket.messages.count() == before
    assert not OutboxEmail.objects.exists()  # no notice to the forged address


def test_signed_mail_from_the_domain_threads(listen, acme_dns, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    send(listen(), acme_dns.sign(reply_to(ticket)))
    row = InboundMessage.objects.get()
    assert row.status == Status.THREADED and row.ticket == ticket
    assert row.auth_result == "pass" and "dkim=pass (d=acme.example)" in row.auth_reason


def test_policy_none_keeps_threading_with_the_verdict_recorded(listen, acme_dns, two_orgs):
    SenderDomainPolicy.objects.create(domain="acme.example",
                                      policy=SenderDomainPolicy.Policy.NONE)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    send(listen(), reply_to(ticket))
    row = InboundMessage.objects.get()
    assert row.status == Status.THREADED
    assert row.auth_result == "fail" and row.auth_reason


def test_domain_without_dmarc_threads_as_before(listen, dns_zone, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    send(listen(), reply_to(ticket))
    row = InboundMessage.objects.get()
    assert row.status == Status.THREADED and row.auth_result == "none"


def test_trusted_authentication_results_decide_for_other_sources(settings, two_orgs):
    settings.MAIL_AUTHSERV_IDS = ["mx.helpdesk.example"]
    ticket = TicketFactory.create(requester=two_orgs.maria)
    failed = "mx.helpdesk.example; spf=fail smtp.mailfrom=acme.example; dmarc=fail " \
             "header.from=acme.example"
    raw = reply_to(ticket, headers={"Authentication-Results": failed})
    row, _ = services.inbound_message_store(raw=raw, source=InboundMessage.Source.WEBHOOK)
    row = services.inbound_message_process(inbound_id=row.pk)
    assert (row.status, row.reason, row.auth_result) == (
        Status.QUARANTINED, reasons.SENDER_UNVERIFIED, "fail")
    # The same header from a host we do not trust is the sender's own words.
    raw = reply_to(ticket, headers={"Authentication-Results": failed.replace(
        "mx.helpdesk.example", "mx.forger.example")})
    row, _ = services.inbound_message_store(raw=raw, source=InboundMessage.Source.WEBHOOK)
    row = services.inbound_message_process(inbound_id=row.pk)
    assert row.status == Status.THREADED and row.auth_result == "none"


def test_policy_of_a_parent_domain_and_the_default(settings, db):
    from mailgateway.selectors import sender_domain_enforced

    SenderDomainPolicy.objects.create(domain="Acme.Example.", policy="none")
    assert not sender_domain_enforced(domain="acme.example")
    assert not sender_domain_enforced(domain="eu.acme.example")
    assert sender_domain_enforced(domain="globex.example")
    settings.MAIL_DMARC_DEFAULT_POLICY = "none"
    assert not sender_domain_enforced(domain="globex.example")


# --- who may deliver -----------------------------------------------------------------------

def test_only_support_addresses_are_accepted(listen, settings):
    port = listen()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(port, raw_email(to="ceo@helpdesk.example"), to=["ceo@helpdesk.example"])
    code, text = refused.value.recipients["ceo@helpdesk.example"]
    assert code == 550 and b"No such mailbox" in text and b"Buzon" in text
    refused_some = send(port, raw_email(), to=[SUPPORT, "other@example.org"])
    assert list(refused_some) == ["other@example.org"]
    assert InboundMessage.objects.count() == 1


def test_auth_or_trusted_relay_required_when_configured(listen, settings):
    settings.MAIL_SMTP_AUTH_USER, settings.MAIL_SMTP_AUTH_PASSWORD = "mta", "s3cret-pass"
    settings.MAIL_SMTP_AUTH_REQUIRE_TLS = False  # the test has no certificate
    port = listen()
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(port, raw_email())
    assert refused.value.smtp_code == 530
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        wrong = base64.b64encode(b"\0mta\0wrong").decode()
        assert client.docmd("AUTH", f"PLAIN {wrong}")[0] == 535
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.login("mta", "s3cret-pass")
        assert client.sendmail("maria@acme.example", [SUPPORT], raw_email()) == {}
    settings.MAIL_SMTP_TRUSTED_RELAYS = ["127.0.0.0/8"]
    assert send(listen(), raw_email()) == {}
    assert InboundMessage.objects.count() == 2


def test_trusted_relay_is_not_judged_by_its_own_address(listen, settings, acme_dns,
                                                        two_orgs):
    """Mail relayed by our MTA: SPF of the relay's address says nothing (not checked);
    DKIM still decides."""
    settings.MAIL_SMTP_TRUSTED_RELAYS = ["127.0.0.1/32"]
    ticket = TicketFactory.create(requester=two_orgs.maria)
    send(listen(), reply_to(ticket))
    row = InboundMessage.objects.get()
    assert row.status == Status.QUARANTINED and "trusted relay" in row.auth_reason


def test_rate_per_peer_and_size_limits(listen, settings):
    settings.MAIL_SMTP_RATE_PER_MINUTE = 2
    settings.MAIL_SMTP_DATA_SIZE_LIMIT = 20_000
    port = listen()
    send(port, raw_email())
    send(port, raw_email())
    with pytest.raises(smtplib.SMTPSenderRefused) as limited:
        send(port, raw_email())
    assert limited.value.smtp_code == 451
    settings.MAIL_SMTP_RATE_PER_MINUTE = 100
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused,
                        smtplib.SMTPServerDisconnected)) as too_big:
        send(listen(), raw_email(body="x" * 30_000))
    assert getattr(too_big.value, "smtp_code", 552) == 552
    assert InboundMessage.objects.count() == 2
    assert not Message.objects.exists()


def test_auth_only_after_starttls_by_default(listen, settings, tmp_path):
    settings.MAIL_SMTP_AUTH_USER, settings.MAIL_SMTP_AUTH_PASSWORD = "mta", "s3cret-pass"
    cert_file, key_file = self_signed_certificate(tmp_path)
    settings.MAIL_SMTP_TLS_CERT_FILE, settings.MAIL_SMTP_TLS_KEY_FILE = cert_file, key_file
    port = listen()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        plain = base64.b64encode(b"\0mta\0s3cret-pass").decode()
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 538  # encryption required
    context = ssl.create_default_context(cafile=cert_file)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.starttls(context=context)
        client.login("mta", "s3cret-pass")
        assert client.sendmail("maria@acme.example", [SUPPORT], raw_email()) == {}
    assert InboundMessage.objects.count() == 1


def test_the_rate_does_not_apply_to_the_trusted_relay(listen, settings):
    settings.MAIL_SMTP_RATE_PER_MINUTE = 1
    settings.MAIL_SMTP_TRUSTED_RELAYS = ["127.0.0.1/32"]
    port = listen()
    for _ in range(3):
        assert send(port, raw_email()) == {}


def test_real_mail_signed_by_the_domain_threads(listen, acme_dns, two_orgs):
    """A real Gmail message (django-helpdesk corpus: multipart, quoted-printable),
    re-addressed from María onto her ticket and signed for acme.example."""
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = (corpus_dir() / "django-helpdesk/tests/test_files/quoted_printable.eml").read_bytes()
    raw = raw.replace(b"From: Tim hobbs <tim.thelion@gmail.com>",
                      b"From: Maria <maria@acme.example>")
    raw = raw.replace(b"Subject: =?UTF-8?B?xIxlc2vDvSB0ZXN0?=",
                      f"Subject: Re: {ticket.subject_tag} test".encode())
    send(listen(), acme_dns.sign(raw))
    row = InboundMessage.objects.get()
    assert (row.status, row.auth_result) == (Status.THREADED, "pass")
    assert "Tohle je test českých písmen" in row.ticket_message.body
