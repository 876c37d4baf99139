"""The IMAP source against a real dovecot over TLS, including connections dropped mid-poll."""

import imaplib
import os
import shutil
import ssl
import tempfile
from pathlib import Path

import pytest

from mailgateway.models import InboundMessage
from mailgateway.sources import imap
from tests.mailgateway import dovecot

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

if not dovecot.available():
    if os.environ.get("CI") == "true":
        raise RuntimeError("dovecot (dovecot-imapd) is required in CI: /usr/sbin/dovecot missing")
    pytest.skip("dovecot-imapd is not installed (/usr/sbin/dovecot); .ci/run installs it",
                allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    # Not under pytest's tmp dir: dovecot's unprivileged processes must traverse the path.
    root = Path(tempfile.mkdtemp(prefix="hd-dovecot-"))
    instance = dovecot.start(root)
    yield instance
    instance.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(server):
    """An empty mailbox before each test."""
    for sub in ("new", "cur"):
        for path in (server.maildir / sub).iterdir():
            path.unlink()
    return server


def config(server, port=None, **kwargs) -> imap.ImapConfig:
    return imap.ImapConfig(host="127.0.0.1", port=port or server.port, user=dovecot.USER,
                           password=dovecot.PASSWORD, ca_file=str(server.cert),
                           timeout_seconds=10, **kwargs)


def message(n: int, *, size: int = 0) -> bytes:
    body = (f"Reply number {n}.\r\n" + ("x" * 76 + "\r\n") * (size // 78)).encode()
    return (f"From: maria@acme.example\r\nTo: support@helpdesk.example\r\n"
            f"Subject: Re: [#ABC-123-45678] reply {n}\r\nMessage-ID: <imap-{n}@acme.example>\r\n"
            f"\r\n").encode() + body


def server_uids(server) -> list[bytes]:
    client = imaplib.IMAP4_SSL("127.0.0.1", server.port,
                               ssl_context=ssl.create_default_context(cafile=str(server.cert)))
    client.login(dovecot.USER, dovecot.PASSWORD)
    client.select("INBOX")
    uids = client.uid("SEARCH", None, "ALL")[1][0].split()
    client.logout()
    return uids


def stored_ids() -> list[str]:
    return sorted(InboundMessage.objects.values_list("header_message_id", flat=True))


def test_poll_stores_every_message_then_removes_it_from_the_server(mailbox):
    raws = [message(n) for n in range(5)]
    for raw in raws:
        mailbox.deliver(raw)
    assert imap.imap_poll(config=config(mailbox)) == 5
    assert stored_ids() == sorted(f"<imap-{n}@acme.example>" for n in range(5))
    assert sorted(bytes(r) for r in InboundMessage.objects.values_list("raw", flat=True)) \
        == sorted(raws)
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {"imap"}
    assert server_uids(mailbox) == []
    assert imap.imap_poll(config=config(mailbox)) == 0


def test_tls_certificate_is_verified(mailbox):
    mailbox.deliver(message(1))
    untrusted = imap.ImapConfig(host="127.0.0.1", port=mailbox.port, user=dovecot.USER,
                                password=dovecot.PASSWORD, timeout_seconds=10)
    with pytest.raises(ssl.SSLError):
        imap.imap_poll(config=untrusted)
    assert InboundMessage.objects.count() == 0
    assert len(server_uids(mailbox)) == 1


def test_wrong_password_stores_nothing(mailbox):
    mailbox.deliver(message(1))
    bad = imap.ImapConfig(host="127.0.0.1", port=mailbox.port, user=dovecot.USER,
                          password="wrong", ca_file=str(mailbox.cert), timeout_seconds=10)
    with pytest.raises(OSError):
        imap.imap_poll(config=bad)
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize("cut_after_bytes", [
    0,        # right after message 3 is stored, before it is flagged on the server
    40_000,   # in the middle of the FETCH literal of message 4
])
def test_connection_dropped_mid_poll_then_next_poll_takes_everything_once(
        mailbox, monkeypatch, cut_after_bytes):
    for n in range(8):
        mailbox.deliver(message(n, size=100_000))
    proxy = dovecot.CuttingProxy(mailbox.port)
    real_accept = imap.inbound_accept
    calls = []

    def accept_then_cut(**kwargs):
        result = real_accept(**kwargs)
        calls.append(1)
        if len(calls) == 3:
            proxy.arm(cut_after_bytes)
        return result

    monkeypatch.setattr(imap, "inbound_accept", accept_then_cut)
    with pytest.raises(OSError):
        imap.imap_poll(config=config(mailbox, port=proxy.port))
    proxy.close()
    assert InboundMessage.objects.count() == 3
    assert len(server_uids(mailbox)) >= 5  # what was not stored is still on the server

    monkeypatch.setattr(imap, "inbound_accept", real_accept)
    imap.imap_poll(config=config(mailbox))
    assert stored_ids() == sorted(f"<imap-{n}@acme.example>" for n in range(8))
    assert server_uids(mailbox) == []


def test_beat_task_polls_the_configured_mailbox(mailbox, settings):
    from mailgateway.tasks import poll_imap

    mailbox.deliver(message(42))
    settings.IMAP_HOST, settings.IMAP_PORT = "127.0.0.1", mailbox.port
    settings.IMAP_USER, settings.IMAP_PASSWORD = dovecot.USER, dovecot.PASSWORD
    settings.IMAP_CA_FILE = str(mailbox.cert)
    assert poll_imap.apply().get() == 1
    assert stored_ids() == ["<imap-42@acme.example>"]


def test_beat_task_does_nothing_without_a_mailbox(settings):
    from mailgateway.tasks import poll_imap

    settings.IMAP_HOST = ""
    assert poll_imap.apply().get() == 0


def test_poll_imap_command_fetches_once(mailbox, settings, capsys):
    from django.core.management import call_command

    mailbox.deliver(message(7))
    mailbox.deliver(message(8))
    settings.IMAP_HOST, settings.IMAP_PORT = "127.0.0.1", mailbox.port
    settings.IMAP_USER, settings.IMAP_PASSWORD = dovecot.USER, dovecot.PASSWORD
    settings.IMAP_CA_FILE = str(mailbox.cert)
    call_command("poll_imap")
    assert "2 new messages stored" in capsys.readouterr().out
    assert server_uids(mailbox) == []
