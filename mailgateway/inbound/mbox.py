"""Split an input into raw messages: one RFC 5322 message, or an mbox file."""

from __future__ import annotations

import re

_FROM_LINE = re.compile(rb"^From \S", re.M)
_ESCAPED = re.compile(rb"^>(>*From )", re.M)


def is_mbox(data: bytes) -> bool:
    return data.startswith(b"From ") and not data.startswith(b"From: ")


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox (mboxo/mboxrd): split at "From " lines that follow a blank
    line (or start the file), separator line removed, ">From " unescaped one level."""
    starts = [m.start() for m in _FROM_LINE.finditer(data)
              if m.start() == 0 or data[max(0, m.start() - 2):m.start()] in (b"\n\n", b"\r\n")
              or data[max(0, m.start() - 4):m.start()] == b"\r\n\r\n"]
    messages = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(data)
        chunk = data[start:end]
        newline = chunk.find(b"\n")
        body = chunk[newline + 1:] if newline >= 0 else b""
        body = _ESCAPED.sub(rb"\1", body)
        if body.strip():
            messages.append(body)
    return messages


def split_input(data: bytes) -> list[bytes]:
    return split_mbox(data) if is_mbox(data) else [data]
