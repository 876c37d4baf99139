"""Parsing never raises and decodes any declared charset (mailgateway/inbound/parse.py)."""

import pytest

from mailgateway.inbound import parse

from .corpus import corpus_dir

MIKEL = "mikel-mail/spec/fixtures/emails/"


def _parse(relative: str) -> parse.ParsedMessage:
    return parse.parse_message((corpus_dir() / relative).read_bytes())


@pytest.mark.parametrize("name, subject, body", [
    ("japanese.eml", "まみむめも", "かきくえこ"),
    ("japanese_iso_2022.eml", "まみむめも", "すみません。"),
    ("japanese_shift_jis.eml", "test", "このメールはテスト用のメールです。"),
    ("ks_c_5601-1987.eml", "test", "스티해"),
])
def test_multi_charset_torture(name, subject, body):
    parsed = _parse(MIKEL + "multi_charset/" + name)
    assert parsed.subject == subject
    assert body in parse.body_text(parsed)
    assert "\ufffd" not in parse.body_text(parsed)


def test_x_unknown_charset_decodes_without_error():
    parsed = _parse(MIKEL + "plain_emails/raw_email10.eml")
    assert "Test test. Hi. Waving." in parse.body_text(parsed)


def test_unknown_and_broken_charsets_use_replacement_characters():
    raw = (b"From: a@b.example\r\nSubject: =?x-klingon?q?Qapla=FF?= ok\r\n"
           b"Content-Type: text/plain; charset=x-klingon\r\n\r\ncaf\xe9 \xff\xfe\r\n")
    parsed = parse.parse_message(raw)
    assert parsed.subject.startswith("Qapla") and parsed.subject.endswith("ok")
    assert parse.body_text(parsed).startswith("caf\ufffd")
    broken = raw.replace(b"charset=x-klingon", b"charset=utf-8")
    assert "\ufffd" in parse.body_text(parse.parse_message(broken))


def test_utf8_headers_rfc6532_and_8bit_subject():
    parsed = _parse(MIKEL + "attachment_emails/attachment_pdf.eml")
    assert parsed.subject == "Another PDF with 🎉 Unicode chars in it 🍿"


@pytest.mark.parametrize("relative, name", [
    ("multi_charset/japanese_attachment.eml", "てすと.txt"),
    ("multi_charset/japanese_attachment_long_name.eml",
     "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"),
    ("attachment_emails/attachment_nonascii_filename.eml", "ciële.txt"),
    ("attachment_emails/attachment_with_base64_encoded_name.eml", "This is a test.pdf"),
    ("attachment_emails/attachment_with_quoted_filename.eml", "Eelanalüüsi päring.jpg"),
    ("attachment_emails/attachment_content_disposition.eml", "api.rb"),
])
def test_rfc2231_and_encoded_file_names_are_display_names(relative, name):
    parsed = _parse(MIKEL + relative)
    assert [a.name for a in parsed.attachments] == [name]


def test_attached_message_and_inline_image_are_attachments():
    parsed = _parse(MIKEL + "attachment_emails/attachment_message_rfc822_inline_image.eml")
    kinds = [(a.name, a.content_type, a.inline) for a in parsed.attachments]
    assert kinds == [("img.png", "image/png", True),
                     ("Testmail.eml", "message/rfc822", False)]
    eml = parsed.attachments[1].content
    assert b"Return-Path: <xxxx@xxxx.com>" in eml


def test_html_only_body_is_text():
    raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Hola <b>mundo</b></p><script>bad()</script><style>p{}</style><p>L2</p>")
    assert parse.body_text(parse.parse_message(raw)) == "Hola mundo\n\nL2"


@pytest.mark.parametrize("raw", [
    b"", b"\x00\x01\x02", b"Subject: =?utf-8?b?####?=\r\n\r\n", b"Content-Type: multipart/mixed\r\n",
    b"From: <<<@>>>\r\nContent-Type: text/plain; charset=\"\r\n\r\nx",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n",
])
def test_garbage_never_raises(raw):
    parse.body_text(parse.parse_message(raw))


def test_from_display_name_with_encoded_comma():
    raw = (b"From: =?utf-8?q?P=C3=A9rez=2C_Juan?= <Juan@Acme.example>, other@x.example\r\n"
           b"Subject: x\r\n\r\nbody")
    parsed = parse.parse_message(raw)
    assert (parsed.from_name, parsed.from_address) == ("Pérez, Juan", "juan@acme.example")
