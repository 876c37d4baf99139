"""Attachments on replies (mailgateway/inbound/persist.py)."""

import pytest

from mailgateway.inbound.parse import ParsedAttachment
from mailgateway.inbound.persist import attachment_display_name, body_with_notes, files_split


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\trace.pcap", "trace.pcap"),
    ("a\x00b\r\n.txt", "a_b_.txt"),
    ("", "attachment-3.png"),
    ("x" * 300 + ".log", "x" * 251 + ".log"),
])
def test_display_names_are_safe(name, expected):
    attachment = ParsedAttachment(name=name, content_type="image/png", content=b"1")
    assert attachment_display_name(attachment, 3) == expected


def test_refused_files_are_noted_and_the_rest_kept(settings, db):
    settings.ATTACHMENT_MAX_FILE_BYTES = 10
    files, notes = files_split(ticket=None, attachments=[
        ParsedAttachment(name="ok.txt", content_type="text/plain", content=b"fine"),
        ParsedAttachment(name="big.bin", content_type="application/octet-stream",
                         content=b"x" * 11),
        ParsedAttachment(name="empty.txt", content_type="text/plain", content=b""),
        ParsedAttachment(name="evil.js", content_type="text/javascript", content=b"1"),
    ])
    assert [f.name for f in files] == ["ok.txt"]
    assert len(notes) == 3
    body = body_with_notes("Hi", notes)
    assert body.startswith("Hi\n\n[") and "big.bin" in body and "empty.txt" in body


def test_empty_body_gets_a_placeholder():
    assert body_with_notes("  ", []) == "(The email had no text.)"


def test_mail_attachments_go_through_the_same_normaliser(settings, db):
    settings.ATTACHMENT_REFUSED_EXTENSIONS = ["html"]
    files, notes = files_split(ticket=None, attachments=[
        ParsedAttachment(name="invoice\uff0eHTML.", content_type="text/html", content=b"<p>")])
    assert files == [] and len(notes) == 1 and "html" in notes[0]
