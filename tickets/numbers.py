"""The ticket number, in one place: its format (KXJ-482-19375: three letters, three digits,
five digits; random, unique, never reused), how a new one is drawn, and how one is read
back from what a person types or pastes ("kxj-482-19375", "#KXJ-482-19375",
"[#KXJ-482-19375]", a partial number in a search box)."""

from __future__ import annotations

import re
import secrets
import string

# The stored form; the database constraint and the URL patterns use this same expression.
NUMBER_REGEX = r"[A-Z]{3}-[0-9]{3}-[0-9]{5}"
NUMBER_MAX_CHARS = 13

_TYPED = re.compile(r"^\s*\[?\s*#?\s*([A-Z]{3})\s*-\s*([0-9]{3})\s*-\s*([0-9]{5})\s*\]?\s*$")
_PARTIAL = re.compile(r"^\s*\[?\s*#?\s*([A-Z]{3}-[0-9]{0,3}(?:-[0-9]{0,5})?)\s*$")


def number_generate() -> str:
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(3))
    return f"{letters}-{secrets.randbelow(1000):03d}-{secrets.randbelow(100000):05d}"


def number_parse(text: str) -> str | None:
    """The stored form of a whole number typed or pasted in any of the usual shapes
    (any case, with "#" or the subject tag's brackets), or None."""
    match = _TYPED.match((text or "").upper())
    return "-".join(match.groups()) if match else None


def number_prefix_parse(text: str) -> str | None:
    """The start of a number ("KXJ-48", "#KXJ-482-1"), for a search box; None otherwise."""
    match = _PARTIAL.match((text or "").upper())
    return match.group(1) if match else None


# The subject tag "[#KXJ-482-19375]" as mail clients return it (spaces added, case changed).
_SUBJECT_TAG = re.compile(r"\[\s*#\s*([A-Za-z]{3})\s*-\s*(\d{3})\s*-\s*(\d{5})\s*\]")


def subject_tag(number: str) -> str:
    return f"[#{number}]"


def number_in_subject(subject: str) -> str | None:
    """The number of the first subject tag in an email subject, or None."""
    match = _SUBJECT_TAG.search(subject or "")
    return f"{match[1].upper()}-{match[2]}-{match[3]}" if match else None
