"""Is the From address authentic? A DMARC verdict for every inbound message.

Two ways to a verdict:
- `headers_verdict`: the Authentication-Results header (RFC 8601, parsed with `authres`)
  added by our MTA or ESP, trusted only when its authserv-id is in MAIL_AUTHSERV_IDS (the
  topmost such header: the one our receiver added last). Anything else in the mail is
  written by the sender and ignored.
- `computed_verdict`: the gateway checks itself, for mail reaching our SMTP listener:
  DKIM (dkimpy), SPF of the connecting address (pyspf, skipped for a trusted relay whose
  address says nothing about the sender) and DMARC alignment of either with the From
  domain, relaxed or strict as the domain's DMARC record says (organizational domains
  from the public suffix list). DNS through `dnsquery` (configurable servers).

The result is "pass", "fail", "none" (no DMARC record, or nothing to judge by),
"temperror" or "permerror"; only "fail" refuses a sender (`services`), and only for
domains whose policy is "enforce" (SenderDomainPolicy, else MAIL_DMARC_DEFAULT_POLICY).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache

import authres
import dkim
import spf
from django.conf import settings
from publicsuffixlist import PublicSuffixList

from . import dnsquery
from .parse import parse_message

logger = logging.getLogger(__name__)

PASS, FAIL, NONE, TEMPERROR, PERMERROR = "pass", "fail", "none", "temperror", "permerror"
RESULTS = (PASS, FAIL, NONE, TEMPERROR, PERMERROR)
NO_TRUSTED_HEADER = "no Authentication-Results from a trusted host"
BY_HEADER = "Authentication-Results of %s"
BY_GATEWAY = "checked by the gateway"


@dataclass(frozen=True)
class AuthVerdict:
    result: str
    reason: str

    @property
    def failed(self) -> bool:
        return self.result == FAIL


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    domain = (domain or "").strip(".").lower()
    return _psl().privatesuffix(domain) or domain


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].strip().strip(">").lower() if "@" in (address or "") \
        else ""


def aligned(domain: str, from_domain: str, *, strict: bool) -> bool:
    domain, from_domain = (domain or "").lower().strip("."), (from_domain or "").lower()
    if not domain or not from_domain:
        return False
    if strict:
        return domain == from_domain
    return organizational_domain(domain) == organizational_domain(from_domain)


# --- from a trusted Authentication-Results header ----------------------------------------

def _trusted_header(message: Message, trusted: set[str]):
    for raw in message.get_all("Authentication-Results") or []:
        value = " ".join(str(raw).split())
        if value.split(";", 1)[0].split(" ", 1)[0].lower() not in trusted:
            continue  # not ours: not worth parsing
        try:
            header = authres.AuthenticationResultsHeader.parse(
                "Authentication-Results: " + value)
        except Exception:  # authres raises its own syntax errors on a malformed header
            continue
        if (header.authserv_id or "").lower() in trusted:
            return header
    return None


def _property(result, name: str) -> str:
    for prop in result.properties or []:
        if prop.name == name:
            return str(prop.value or "")
    return ""


def headers_verdict(*, message: Message, from_domain: str) -> AuthVerdict:
    trusted = set(getattr(settings, "MAIL_AUTHSERV_IDS", []) or [])
    header = _trusted_header(message, trusted) if trusted else None
    if header is None:
        return AuthVerdict(NONE, NO_TRUSTED_HEADER)
    source = BY_HEADER % header.authserv_id
    summary = " ".join(f"{r.method}={r.result}" for r in header.results)
    for result in header.results:
        if result.method != "dmarc":
            continue
        checked = _property(result, "from").lower()
        if checked and from_domain and checked != from_domain:
            continue  # a verdict about another From domain
        outcome = (result.result or "").lower()
        outcome = outcome if outcome in RESULTS else NONE
        return AuthVerdict(outcome, f"{summary}; {source}"[:300])
    return AuthVerdict(NONE, f"{summary or 'no dmarc result'}; {source}"[:300])


# --- computed by the gateway -------------------------------------------------------------

@dataclass
class _Checks:
    dkim_domains: list[str]
    dkim_summary: str
    spf_result: str
    spf_domain: str


def _dkim_check(raw: bytes) -> tuple[list[str], str]:
    """(domains of the valid DKIM signatures, summary)."""
    try:
        signer = dkim.DKIM(raw, timeout=int(settings.MAIL_AUTH_DNS_TIMEOUT_SECONDS))
        count = sum(1 for name, _value in signer.headers if name.lower() == b"dkim-signature")
    except Exception as error:
        return [], f"dkim=permerror ({type(error).__name__})"
    if not count:
        return [], "dkim=none"
    passed, results = [], []
    for index in range(count):
        try:
            ok = signer.verify(idx=index, dnsfunc=dnsquery.dkim_txt)
        except dnsquery.DnsTempError:
            results.append("temperror")
            continue
        except Exception:  # a malformed signature or key
            ok = False
        domain = (signer.domain or b"").decode("ascii", "replace").lower() if ok else ""
        if ok and domain:
            passed.append(domain)
        results.append(f"pass (d={domain})" if ok else "fail")
    return passed, "dkim=" + ", ".join(results)


def _spf_check(*, peer_ip: str, helo: str, mail_from: str) -> tuple[str, str]:
    sender = (mail_from or "").strip().strip("<>")
    domain = domain_of(sender) or (helo or "").lower()
    if not peer_ip or not domain:
        return NONE, domain
    try:
        result, _explanation = spf.check2(i=peer_ip, s=sender or f"postmaster@{domain}",
                                          h=helo or domain,
                                          querytime=settings.MAIL_AUTH_DNS_TIMEOUT_SECONDS)
    except Exception as error:  # pyspf raises on some malformed input
        logger.info("SPF check failed: %r", error)
        return TEMPERROR, domain
    return str(result).lower(), domain


def _dmarc_record(from_domain: str) -> dict[str, str] | None:
    """The DMARC record's tags (the From domain's, else its organizational domain's)."""
    names = [from_domain]
    org = organizational_domain(from_domain)
    if org != from_domain:
        names.append(org)
    for name in names:
        for record in dnsquery.txt(f"_dmarc.{name}"):
            if record.replace(" ", "").lower().startswith("v=dmarc1"):
                tags = {}
                for part in record.split(";"):
                    key, _eq, value = part.partition("=")
                    tags[key.strip().lower()] = value.strip().lower()
                return tags
    return None


def computed_verdict(*, raw: bytes, from_domain: str, peer_ip: str, helo: str,
                     mail_from: str, check_spf: bool = True) -> AuthVerdict:
    """DMARC evaluated by the gateway; `check_spf` False for a trusted relay (its
    address is not the sender's)."""
    if not from_domain:
        return AuthVerdict(NONE, f"no From domain; {BY_GATEWAY}")
    try:
        record = _dmarc_record(from_domain)
    except dnsquery.DnsTempError as error:
        return AuthVerdict(TEMPERROR, f"dmarc=temperror ({error}); {BY_GATEWAY}"[:300])
    dkim_domains, dkim_summary = _dkim_check(raw)
    spf_result, spf_domain = (_spf_check(peer_ip=peer_ip, helo=helo, mail_from=mail_from)
                              if check_spf else ("none (trusted relay)", ""))
    checks = _Checks(dkim_domains, dkim_summary, spf_result, spf_domain)
    if record is None:
        return AuthVerdict(NONE, _summary("none (no DMARC record)", checks))
    dkim_ok = any(aligned(d, from_domain, strict=record.get("adkim") == "s")
                  for d in dkim_domains)
    spf_ok = spf_result == PASS and aligned(spf_domain, from_domain,
                                            strict=record.get("aspf") == "s")
    result = PASS if dkim_ok or spf_ok else FAIL
    return AuthVerdict(result, _summary(f"{result} (p={record.get('p', '?')})", checks))


def _summary(dmarc: str, checks: _Checks) -> str:
    spf_part = f"spf={checks.spf_result}"
    if checks.spf_domain:
        spf_part += f" smtp.mailfrom={checks.spf_domain}"
    return f"dmarc={dmarc} {checks.dkim_summary} {spf_part}; {BY_GATEWAY}"[:300]


def smtp_verdict(*, raw: bytes, peer_ip: str, helo: str, mail_from: str,
                 relayed: bool) -> AuthVerdict:
    """The verdict for a message our SMTP listener received: the relaying MTA's trusted
    Authentication-Results when it added one, else computed here (SPF only for a direct
    delivery: a relay's address says nothing about the sender)."""
    parsed = parse_message(raw)
    from_domain = domain_of(parsed.from_address)
    trusted = set(getattr(settings, "MAIL_AUTHSERV_IDS", []) or [])
    if trusted and _trusted_header(parsed.message, trusted) is not None:
        return headers_verdict(message=parsed.message, from_domain=from_domain)
    try:
        return computed_verdict(raw=raw, from_domain=from_domain, peer_ip=peer_ip,
                                helo=helo, mail_from=mail_from, check_spf=not relayed)
    except Exception as error:  # never lose a message over a check
        logger.exception("Sender check failed")
        return AuthVerdict(TEMPERROR, f"check failed ({type(error).__name__}); {BY_GATEWAY}")
