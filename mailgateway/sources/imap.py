"""IMAP mailbox source, polled by Celery beat (task `poll_imap`) or `manage.py poll_imap`.

Over TLS only (IMAP4_SSL, certificate verified unless IMAP_SSL_VERIFY is false). Each
message is fetched, stored (and its processing queued), and only then flagged
\\Seen \\Deleted on the server; the mailbox is expunged at the end of the poll. A
connection lost at any point loses nothing: what was not flagged is fetched again by the
next poll, and storing is unique by Message-ID (or raw hash), so nothing is doubled.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from ..models import InboundMessage
from . import inbound_accept

logger = logging.getLogger(__name__)

LOCK_KEY = "mailgateway:imap-poll-lock"


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    user: str = ""
    password: str = ""
    mailbox: str = "INBOX"
    ssl_verify: bool = True
    ca_file: str = ""
    batch: int = 200
    timeout_seconds: float = 60.0

    @classmethod
    def from_settings(cls) -> ImapConfig | None:
        host = getattr(settings, "IMAP_HOST", "")
        if not host:
            return None
        return cls(host=host, port=settings.IMAP_PORT, user=settings.IMAP_USER,
                   password=settings.IMAP_PASSWORD, mailbox=settings.IMAP_MAILBOX,
                   ssl_verify=settings.IMAP_SSL_VERIFY, ca_file=settings.IMAP_CA_FILE,
                   batch=settings.IMAP_BATCH)

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file or None)
        if not self.ssl_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


class ImapError(OSError):
    """The server refused a command (retried by the beat task like a network error)."""


def _check(result: tuple, what: str):
    status, data = result
    if status != "OK":
        raise ImapError(f"IMAP {what} failed: {data!r}")
    return data


def _connect(config: ImapConfig) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=config.ssl_context(),
                               timeout=config.timeout_seconds)
    _check(client.login(config.user, config.password), "LOGIN")
    _check(client.select(_quote(config.mailbox)), "SELECT")
    return client


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch_raw(client: imaplib.IMAP4_SSL, uid: bytes) -> bytes | None:
    data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def imap_poll(*, config: ImapConfig) -> int:
    """One poll: store every message not yet flagged \\Deleted; returns how many were
    newly stored. Polls never overlap (a cache lock), a second one returns 0."""
    if not cache.add(LOCK_KEY, "1", timeout=int(config.timeout_seconds * 10)):
        logger.info("IMAP poll already running; skipped")
        return 0
    try:
        return _poll(config)
    except imaplib.IMAP4.error as error:  # protocol errors and dropped connections
        raise ImapError(f"IMAP poll interrupted: {error}") from error
    finally:
        cache.delete(LOCK_KEY)


def _poll(config: ImapConfig) -> int:
    client = _connect(config)
    stored = 0
    try:
        uids = _check(client.uid("SEARCH", None, "UNDELETED"), "SEARCH")[0].split()
        for uid in uids[:config.batch]:
            raw = _fetch_raw(client, uid)
            if raw is None:  # vanished meanwhile (another client expunged it)
                continue
            _row, created = inbound_accept(raw=raw, source=InboundMessage.Source.IMAP)
            stored += int(created)
            # Only now that the message is stored is it marked done on the server.
            _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen \Deleted)"), "STORE")
        client.expunge()
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    if stored:
        logger.info("IMAP poll stored %d new messages", stored)
    return stored
