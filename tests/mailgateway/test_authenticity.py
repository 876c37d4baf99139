"""Sender verdicts: DMARC computed by the gateway (real DKIM signatures, real SPF and DMARC
lookups against the test DNS server) and read from trusted Authentication-Results."""

from email import message_from_bytes

import pytest

from mailgateway.inbound import authenticity as auth
from mailgateway.inbound.parse import parse_message
from tests.factories.mailgateway import raw_email
from tests.mailgateway.corpus import corpus_dir
from tests.support.mail_auth import DkimKey

DMARC_REJECT = "v=DMARC1; p=reject; rua=mailto:dmarc@acme.example"


@pytest.fixture(scope="module")
def acme_key():
    return DkimKey.generate(domain="acme.example")


@pytest.fixture(scope="module")
def evil_key():
    return DkimKey.generate(domain="evil.example")


def verdict(raw: bytes, *, peer_ip: str = "192.0.2.10", mail_from: str = "maria@acme.example",
            from_domain: str = "acme.example") -> auth.AuthVerdict:
    return auth.computed_verdict(raw=raw, from_domain=from_domain, peer_ip=peer_ip,
                                 helo="mx.sender.example", mail_from=mail_from)


def test_signed_mail_passes_dmarc(dns_zone, acme_key):
    acme_key.publish(dns_zone)
    dns_zone.txt("_dmarc.acme.example", DMARC_REJECT)
    result = verdict(acme_key.sign(raw_email()))
    assert result.result == auth.PASS
    assert "dkim=pass (d=acme.example)" in result.reason and "p=reject" in result.reason


def test_forged_from_fails_dmarc(dns_zone, evil_key):
    """Signed, but by the forger's own domain; SPF of the forger's address fails."""
    evil_key.publish(dns_zone)
    dns_zone.txt("_dmarc.acme.example", DMARC_REJECT)
    dns_zone.txt("acme.example", "v=spf1 ip4:198.51.100.0/24 -all")
    result = verdict(evil_key.sign(raw_email()))
    assert result.result == auth.FAIL
    assert "dkim=pass (d=evil.example)" in result.reason and "spf=fail" in result.reason


def test_altered_signed_mail_fails(dns_zone, acme_key):
    acme_key.publish(dns_zone)
    dns_zone.txt("_dmarc.acme.example", DMARC_REJECT)
    signed = acme_key.sign(raw_email(body="Pay invoice 1"))
    result = verdict(signed.replace(b"Pay invoice 1", b"Pay invoice 9"))
    assert result.result == auth.FAIL and "dkim=fail" in result.reason


def test_spf_pass_aligned_is_enough(dns_zone):
    dns_zone.txt("_dmarc.acme.example", DMARC_REJECT)
    dns_zone.txt("acme.example", "v=spf1 ip4:192.0.2.0/24 -all")
    assert verdict(raw_email()).result == auth.PASS
    # SPF passes for another domain's envelope: not aligned with the From domain.
    dns_zone.txt("bulk.example", "v=spf1 ip4:192.0.2.0/24 -all")
    assert verdict(raw_email(), mail_from="bounce@bulk.example").result == auth.FAIL


def test_relaxed_and_strict_alignment(dns_zone):
    key = DkimKey.generate(domain="mail.acme.example")
    key.publish(dns_zone)
    dns_zone.txt("_dmarc.acme.example", DMARC_REJECT)
    signed = key.sign(raw_email())
    assert verdict(signed).result == auth.PASS  # relaxed: same organizational domain
    dns_zone.clear()
    key.publish(dns_zone)
    dns_zone.txt("_dmarc.acme.example", "v=DMARC1; p=quarantine; adkim=s")
    assert verdict(signed).result == auth.FAIL


def test_subdomain_uses_the_organizational_record(dns_zone):
    dns_zone.txt("_dmarc.acme.example", DMARC_REJECT)
    raw = raw_email(from_addr="ops@eu.acme.example")
    result = verdict(raw, mail_from="ops@eu.acme.example", from_domain="eu.acme.example")
    assert result.result == auth.FAIL


def test_domain_without_dmarc_record_is_none(dns_zone):
    assert verdict(raw_email()).result == auth.NONE
    assert "no DMARC record" in verdict(raw_email()).reason


def test_dns_unreachable_is_a_temporary_error(settings):
    settings.MAIL_AUTH_DNS_SERVERS = ["127.0.0.1:9"]  # nothing answers there
    settings.MAIL_AUTH_DNS_TIMEOUT_SECONDS = 0.3
    assert verdict(raw_email()).result == auth.TEMPERROR


# --- Authentication-Results -------------------------------------------------------------

AR_FAIL = ("mx.helpdesk.example; dkim=none; spf=fail smtp.mailfrom=acme.example; "
           "dmarc=fail (p=reject) header.from=acme.example")
AR_PASS = ("forged.example; dkim=pass header.d=acme.example; "
           "dmarc=pass header.from=acme.example")


def headers(*values: str):
    return message_from_bytes(raw_email(headers={"Authentication-Results": values[0]})
                              if len(values) == 1 else
                              b"".join(f"Authentication-Results: {v}\r\n".encode()
                                       for v in values) + raw_email())


def test_trusted_authentication_results_are_used(settings):
    settings.MAIL_AUTHSERV_IDS = ["mx.helpdesk.example"]
    result = auth.headers_verdict(message=headers(AR_FAIL), from_domain="acme.example")
    assert result.result == auth.FAIL
    assert "mx.helpdesk.example" in result.reason


def test_untrusted_authentication_results_are_ignored(settings):
    """A sender may write any Authentication-Results header: only our MTA's count."""
    settings.MAIL_AUTHSERV_IDS = ["mx.helpdesk.example"]
    result = auth.headers_verdict(message=headers(AR_PASS), from_domain="acme.example")
    assert result == auth.AuthVerdict(auth.NONE, auth.NO_TRUSTED_HEADER)
    settings.MAIL_AUTHSERV_IDS = []
    assert auth.headers_verdict(message=headers(AR_FAIL),
                                from_domain="acme.example").result == auth.NONE


def test_the_topmost_trusted_header_wins(settings):
    settings.MAIL_AUTHSERV_IDS = ["mx.helpdesk.example"]
    forged_below = AR_FAIL.replace("dmarc=fail", "dmarc=pass")
    result = auth.headers_verdict(message=headers(AR_FAIL, forged_below),
                                  from_domain="acme.example")
    assert result.result == auth.FAIL


def test_a_verdict_about_another_domain_does_not_count(settings):
    settings.MAIL_AUTHSERV_IDS = ["mx.helpdesk.example"]
    other = "mx.helpdesk.example; dmarc=pass header.from=evil.example"
    result = auth.headers_verdict(message=headers(other), from_domain="acme.example")
    assert result.result == auth.NONE


def test_corpus_signatures_never_pass_without_their_keys(dns_zone, caplog):
    """The corpus's real DKIM-signed mail (Gmail, Yahoo, lists…), its From domains
    publishing DMARC p=reject here but none of the signing keys: every message is judged
    (fail), none raises or passes."""
    results = {}
    for path in sorted(corpus_dir().rglob("*.eml")):
        raw = path.read_bytes()
        if b"\ndkim-signature:" not in raw.lower():
            continue
        domain = auth.domain_of(parse_message(raw).from_address)
        if not domain:
            continue
        dns_zone.txt(f"_dmarc.{domain}", "v=DMARC1; p=reject")
        results[path.name] = verdict(raw, from_domain=domain, mail_from=f"x@{domain}").result
    assert len(results) >= 100
    assert set(results.values()) == {auth.FAIL}
    assert "Sender check failed" not in caplog.text
