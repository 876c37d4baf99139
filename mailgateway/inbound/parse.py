"""Parse a raw RFC 5322 message into what the pipeline needs. Never raises.

The structure is parsed by the stdlib (`email`, with the compat32 policy, which keeps every
header's raw value and never fails on a malformed one); headers, bodies and file names are
decoded here so that ANY declared charset decodes: an unknown or broken one falls back to
UTF-8 with replacement characters, 8-bit (RFC 6532) header bytes are read as UTF-8 (else
windows-1252). Measured on the 871 corpus messages: policy.default's get_body/get_content
raises on one (LookupError on charset X-UNKNOWN) and costs 4.8 ms a message; this module
costs 0.8 ms and raises on none.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

from .html_text import html_to_text

_PARSER = BytesParser(policy=policy.compat32)
_FOLD = re.compile(r"\r?\n[ \t]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"<[^<>\s]+>")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_UNKNOWN_CHARSETS = {"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default"}
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8", "iso-8859-6-i": "iso-8859-6",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949",
    "shift_jis": "cp932", "shift-jis": "cp932", "x-sjis": "cp932", "sjis": "cp932",
    "windows-874": "cp874", "x-mac-roman": "mac_roman", "macintosh": "mac_roman",
    "us-ascii": "utf-8", "ascii": "utf-8", "ansi_x3.4-1968": "utf-8",
    "iso-2022-jp": "iso2022_jp_ext", "utf8": "utf-8",
}
MAX_BODY_CHARS = 200_000


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    content: bytes
    inline: bool = False


@dataclass
class ParsedMessage:
    message: Message
    message_id: str = ""
    from_address: str = ""
    from_name: str = ""
    subject: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    content_type: str = "text/plain"
    header_names: frozenset[str] = frozenset()

    def header(self, name: str) -> str:
        """The decoded value of the first header `name`, '' when absent."""
        return header_get(self.message, name)

    def has_header(self, name: str) -> bool:
        return name.lower() in self.header_names


# --- charsets ---------------------------------------------------------------------------

_codec_cache: dict[str, str] = {}


def _codec(charset: str | None) -> str:
    key = (charset or "").strip().strip("\"'").lower()
    if key in _codec_cache:
        return _codec_cache[key]
    name = _CHARSET_ALIASES.get(key, key)
    if name in _UNKNOWN_CHARSETS:
        name = "utf-8"
    else:
        try:
            name = codecs.lookup(name).name
        except (LookupError, ValueError):
            name = "utf-8"
    if len(_codec_cache) < 512:
        _codec_cache[key] = name
    return name


def bytes_decode(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset; replacement characters where it does not fit."""
    if not data:
        return ""
    name = _codec(charset)
    try:
        return data.decode(name, errors="replace")
    except Exception:  # a codec may fail on input it was not built for
        return data.decode("utf-8", errors="replace")


def _surrogates_fix(value: str) -> str:
    """compat32 keeps 8-bit header bytes as surrogates: read them as UTF-8 (RFC 6532), or
    as windows-1252 when they are not UTF-8."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        raw = value.encode("utf-8", errors="surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")


def header_decode(value) -> str:
    """Unfold and decode encoded words (RFC 2047) of one raw header value."""
    if value is None:
        return ""
    if not isinstance(value, str):  # email.header.Header from a broken message
        value = str(value)
    value = _surrogates_fix(_FOLD.sub(" ", value))
    if "=?" in value and _ENCODED_WORD.search(value):
        try:
            chunks = decode_header(value)
        except Exception:
            chunks = [(value, None)]
        out = []
        for chunk, charset in chunks:
            out.append(bytes_decode(chunk, charset) if isinstance(chunk, bytes) else chunk)
        value = "".join(out)
    return _CONTROL.sub("", value.replace("\r", " ").replace("\n", " ")).strip()


def _raw_header(message: Message, name: str):
    """The header as received: compat32 wraps 8-bit values in a Header object that would
    turn them into replacement characters; the raw string keeps the bytes."""
    value = message.get(name)
    if value is None or isinstance(value, str):
        return value
    lowered = name.lower()
    for key, raw in message.raw_items():
        if key.lower() == lowered:
            return raw
    return str(value)


def header_get(message: Message, name: str) -> str:
    try:
        return header_decode(_raw_header(message, name))
    except Exception:
        return ""


# --- structure --------------------------------------------------------------------------

def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str:
    value = part.get("Content-Disposition")
    if not value:
        return ""
    return str(value).split(";", 1)[0].strip().lower()


def _filename(part: Message) -> str:
    name = None
    try:
        if not all(isinstance(part.get(h), str | None)
                   for h in ("Content-Disposition", "Content-Type")):
            part = _with_utf8_params(part)  # 8-bit (UTF-8) file names
        name = part.get_filename() or part.get_param("name", header="content-type")
    except Exception:
        name = None
    if isinstance(name, tuple):  # RFC 2231 value the stdlib could not collapse
        charset, _lang, raw = name
        name = bytes_decode(raw.encode("latin-1", errors="replace"), charset)
    return header_decode(name) if name else ""


def _with_utf8_params(part: Message) -> Message:
    copy = Message()
    for header in ("Content-Disposition", "Content-Type"):
        raw = _raw_header(part, header)
        if raw is not None:
            copy[header] = _surrogates_fix(_FOLD.sub(" ", raw))
    return copy


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", errors="surrogateescape")
        return b""
    return data


def _leaves(part: Message):
    """Leaf parts, without descending into attached messages."""
    if part.is_multipart() and _content_type(part).startswith("multipart/"):
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else ():
            yield from _leaves(sub)
    else:
        yield part


def _part_text(part: Message) -> str:
    charset = None
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return bytes_decode(_payload(part), charset)


def _message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _attachment_from(part: Message, content_type: str, index: int) -> ParsedAttachment:
    name = _filename(part)
    if content_type == "message/rfc822" or content_type == "message/global":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        content = inner.as_bytes() if isinstance(inner, Message) else _payload(part)
        if not name:
            subject = header_get(inner, "Subject") if isinstance(inner, Message) else ""
            name = f"{subject or 'message'}.eml"
    else:
        content = _payload(part)
    return ParsedAttachment(name=name or "", content_type=content_type, content=content,
                            inline=_disposition(part) == "inline" or bool(part.get("Content-ID")))


def _from_address(message: Message) -> tuple[str, str]:
    """(display name, lower-cased address) of the first From mailbox. Split before decoding:
    a decoded display name may contain commas or angle brackets."""
    try:
        raw = _surrogates_fix(_FOLD.sub(" ", str(_raw_header(message, "From") or "")))
        for name, address in getaddresses([raw]):
            if "@" in address:
                return header_decode(name), _CONTROL.sub("", address.strip().lower())[:320]
        # A display name without an address ("From: María García"): kept as the name, so
        # that the message is quarantined for having no usable sender.
        return header_decode(raw).replace("<>", "").strip()[:200], ""
    except Exception:
        pass
    return "", ""


def _boundary_missing(message: Message) -> bool:
    """A multipart message whose boundary never appears: the stdlib leaves its whole body
    as one string payload (StartBoundaryNotFoundDefect)."""
    return _content_type(message).startswith("multipart/") and not message.is_multipart() \
        and isinstance(message.get_payload(), str)


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything the pipeline reads from one raw message."""
    message = _PARSER.parsebytes(raw)
    parsed = ParsedMessage(message=message,
                           header_names=frozenset(k.lower() for k in message.keys()))
    parsed.message_id = (_message_ids(header_get(message, "Message-ID")) or [""])[0]
    parsed.from_name, parsed.from_address = _from_address(message)
    parsed.subject = header_get(message, "Subject")
    parsed.in_reply_to = _message_ids(header_get(message, "In-Reply-To"))
    parsed.references = _message_ids(header_get(message, "References"))
    parsed.content_type = _content_type(message)
    texts, htmls = [], []
    for index, part in enumerate(_leaves(message)):
        content_type = _content_type(part)
        disposition = _disposition(part)
        is_body = (content_type in ("text/plain", "text/html") and disposition != "attachment"
                   and not _filename(part))
        if is_body:
            (texts if content_type == "text/plain" else htmls).append(_part_text(part))
        elif part is not message or content_type != "text/plain":
            if content_type.startswith("multipart/") or disposition == "" and (
                    content_type in ("message/delivery-status", "text/rfc822-headers",
                                     "message/feedback-report",
                                     "message/disposition-notification")):
                continue
            parsed.attachments.append(_attachment_from(part, content_type, index))
    if not texts and not htmls and _boundary_missing(message):
        texts.append(_part_text(message))  # the customer's words, not "(no text)"
    parsed.text = "\n".join(t for t in texts if t.strip())[:MAX_BODY_CHARS]
    parsed.html = "\n".join(htmls)[:MAX_BODY_CHARS * 5]
    return parsed


def body_text(parsed: ParsedMessage, *, strip_quotes: bool = False) -> str:
    """text/plain preferred, else the HTML turned into plain text."""
    if parsed.text.strip():
        return parsed.text
    if parsed.html.strip():
        return html_to_text(parsed.html, strip_quotes=strip_quotes)
    return ""
