"""Local SMTP listener (aiosmtpd): `python manage.py smtp_inbound --host H --port P`.

Who may deliver what:
- RCPT: only the support addresses (MAIL_SMTP_RECIPIENTS); any other gets 550.
- MAIL: when AUTH credentials (MAIL_SMTP_AUTH_USER/PASSWORD) or trusted relays
  (MAIL_SMTP_TRUSTED_RELAYS, CIDRs) are configured, only an authenticated client or a
  trusted relay (530 otherwise); at most MAIL_SMTP_RATE_PER_MINUTE messages per peer
  address a minute (451, the client retries later), except from those two: the MTA
  relays everybody's mail.
- DATA: at most MAIL_SMTP_DATA_SIZE_LIMIT bytes (552 beyond, aiosmtpd's answer).

Each DATA gets a sender verdict (inbound/authenticity.py: DKIM, SPF of the peer unless it
is a relay, DMARC alignment) and is stored as the raw bytes received (with a Return-Path
header carrying the envelope sender, as a final-delivery MTA adds it, when the message has
none) before the listener answers 250; a storage failure answers 451 so the client
retries later. Replies are in English and Spanish (ASCII, as SMTP wants).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import ssl
import time
from collections import defaultdict, deque

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from django.conf import settings
from django.db import close_old_connections

from ..inbound import authenticity
from ..models import InboundMessage
from . import inbound_accept

logger = logging.getLogger(__name__)

DEFAULT_DATA_SIZE_LIMIT = 50 * 1024 * 1024
MAX_PEERS_TRACKED = 10_000
REPLY_UNKNOWN_RECIPIENT = ("550 5.1.1 No such mailbox here / "
                           "Buzon inexistente en este servidor")
REPLY_AUTH_REQUIRED = ("530 5.7.0 Authentication required / "
                       "Se requiere autenticacion")
REPLY_RATE_LIMITED = ("451 4.7.1 Too many messages, try again later / "
                      "Demasiados mensajes, reintente mas tarde")
REPLY_STORE_FAILED = ("451 4.3.0 Temporary local failure, try again later / "
                      "Fallo temporal, reintente mas tarde")
REPLY_ACCEPTED = "250 2.0.0 Message accepted / Mensaje aceptado"


def with_return_path(raw: bytes, mail_from: str | None) -> bytes:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    if head.startswith(b"return-path:") or b"\nreturn-path:" in head:
        return raw
    sender = (mail_from or "").strip().strip("<>")
    line_end = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return b"Return-Path: <" + sender.encode("utf-8", "replace") + b">" + line_end + raw


def store_delivery(*, raw: bytes, mail_from: str | None,
                   auth: authenticity.AuthVerdict | None = None) -> int:
    """Store one delivered message (sync; runs in a worker thread)."""
    close_old_connections()
    try:
        row, _created = inbound_accept(raw=with_return_path(raw, mail_from),
                                       source=InboundMessage.Source.SMTP, auth=auth)
        return row.pk
    finally:
        close_old_connections()


def _networks(values) -> list:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


class ListenerPolicy:
    """The listener's settings, read once when it starts."""

    def __init__(self):
        self.recipients = {address.lower() for address in settings.MAIL_SMTP_RECIPIENTS}
        self.user = settings.MAIL_SMTP_AUTH_USER
        self.password = settings.MAIL_SMTP_AUTH_PASSWORD
        self.relays = _networks(settings.MAIL_SMTP_TRUSTED_RELAYS)
        self.rate_per_minute = settings.MAIL_SMTP_RATE_PER_MINUTE
        self.restricted = bool(self.relays or (self.user and self.password))

    def is_relay(self, peer_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(peer_ip)
        except ValueError:
            return False
        return any(address in network for network in self.relays)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and bool(self.user and self.password)
              and hmac.compare_digest(auth_data.login, self.user.encode())
              and hmac.compare_digest(auth_data.password, self.password.encode()))
        return AuthResult(success=ok, handled=False)


def _peer_ip(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple | list) and peer else str(peer or "")


class InboundHandler:
    def __init__(self, policy: ListenerPolicy | None = None):
        self.policy = policy or ListenerPolicy()
        self._recent: dict[str, deque] = defaultdict(deque)

    def _rate_exceeded(self, peer_ip: str) -> bool:
        now = time.monotonic()
        if len(self._recent) > MAX_PEERS_TRACKED:  # forget peers idle for a minute
            for peer in [p for p, times in self._recent.items()
                         if not times or now - times[-1] > 60]:
                del self._recent[peer]
        recent = self._recent[peer_ip]
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= self.policy.rate_per_minute:
            return True
        recent.append(now)
        return False

    async def handle_MAIL(self, server, session: Session, envelope: Envelope, address: str,
                          mail_options: list) -> str:
        peer_ip = _peer_ip(session)
        if self.policy.restricted and not session.authenticated \
                and not self.policy.is_relay(peer_ip):
            return REPLY_AUTH_REQUIRED
        trusted = session.authenticated or self.policy.is_relay(peer_ip)
        if not trusted and self._rate_exceeded(peer_ip):
            logger.warning("SMTP rate limit reached for %s", peer_ip)
            return REPLY_RATE_LIMITED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list) -> str:
        if address.strip().strip("<>").lower() not in self.policy.recipients:
            return REPLY_UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        peer_ip = _peer_ip(session)
        relayed = session.authenticated or self.policy.is_relay(peer_ip)
        loop = asyncio.get_running_loop()

        def work() -> int:
            auth = authenticity.smtp_verdict(
                raw=raw, peer_ip=peer_ip, helo=session.host_name or "",
                mail_from=envelope.mail_from or "", relayed=relayed)
            return store_delivery(raw=raw, mail_from=envelope.mail_from, auth=auth)

        try:
            inbound_id = await loop.run_in_executor(None, work)
        except Exception:
            logger.exception("Could not store a message from %s", envelope.mail_from)
            return REPLY_STORE_FAILED
        logger.info("Stored inbound message %s from %s", inbound_id, envelope.mail_from)
        return REPLY_ACCEPTED


def _tls_context() -> ssl.SSLContext | None:
    if not (settings.MAIL_SMTP_TLS_CERT_FILE and settings.MAIL_SMTP_TLS_KEY_FILE):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.MAIL_SMTP_TLS_CERT_FILE, settings.MAIL_SMTP_TLS_KEY_FILE)
    return context


def smtp_controller(*, host: str, port: int) -> Controller:
    limit = getattr(settings, "MAIL_SMTP_DATA_SIZE_LIMIT", DEFAULT_DATA_SIZE_LIMIT)
    policy = ListenerPolicy()
    return Controller(InboundHandler(policy), hostname=host, port=port,
                      data_size_limit=limit, decode_data=False, server_hostname=host,
                      authenticator=policy.authenticate, auth_required=False,
                      auth_require_tls=settings.MAIL_SMTP_AUTH_REQUIRE_TLS,
                      tls_context=_tls_context())
