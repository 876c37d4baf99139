"""Attachments of ticket messages: the rules a file must meet (size, name, type), the
bytes a ticket holds already, and the write of the files before their rows (the store
itself, and the guarantee that no uncommitted file survives, are in attachment_store.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.db.models import Sum

from . import attachment_store
from . import exceptions as exc
from .models import Attachment, Ticket

# Characters that look like or act as a full stop but are not U+002E: NFKC folds the
# fullwidth and small full stops to ".", not these.
_DOT_LOOKALIKES = str.maketrans({c: "." for c in (
    "\u2024",  # ONE DOT LEADER
    "\u3002",  # IDEOGRAPHIC FULL STOP
    "\uff61",  # HALFWIDTH IDEOGRAPHIC FULL STOP
    "\u0701", "\u0702",  # SYRIAC SUPRALINEAR / SUBLINEAR FULL STOP
    "\u2e3c",  # STENOGRAPHIC FULL STOP
    "\ua4f8",  # LISU LETTER TONE MYA TI
    "\u00b7", "\u2027", "\u2219",  # MIDDLE DOT, HYPHENATION POINT, BULLET OPERATOR
)})
# Invisible characters a name may hide between the dot and the extension.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _clean_name(name: str) -> str:
    return (name or "").strip()


def file_name_normalized(name: str) -> str:
    """The name as the extension check sees it: NFKC (fullwidth letters and full stops
    become ASCII), look-alikes of the dot become ".", invisible characters are dropped,
    case-folded, and without the trailing dots and spaces Windows drops when it saves the
    file ("page.html." is page.html on the customer's disk). The one normaliser the site,
    the API and the mail gateway use (all through attachment_problems)."""
    folded = unicodedata.normalize("NFKC", name or "").translate(_DOT_LOOKALIKES)
    return folded.translate(_INVISIBLE).casefold().rstrip(". \t")


def file_extension(name: str) -> str:
    """The extension the customer's system sees ("" when none), after file_name_normalized."""
    stem = file_name_normalized(name)
    return stem.rsplit(".", 1)[-1].strip() if "." in stem else ""


def refused_extensions() -> frozenset[str]:
    """settings.ATTACHMENT_REFUSED_EXTENSIONS, normalised: the one list of refused types."""
    return frozenset(file_name_normalized(e).lstrip(".")
                     for e in settings.ATTACHMENT_REFUSED_EXTENSIONS)


def attachment_problems(*, files: Iterable, existing_bytes: int = 0) -> list[str]:
    """Every reason these files may not be attached; empty when they may."""
    problems: list[str] = []
    max_file = settings.ATTACHMENT_MAX_FILE_BYTES
    total = existing_bytes
    refused = refused_extensions()
    for f in files:
        name = _clean_name(getattr(f, "name", ""))
        base = PureWindowsPath(PurePosixPath(name).name).name
        if not name or base != name or name in {".", ".."} or "\x00" in name:
            problems.append(str(exc.FILE_NAME_INVALID % {"name": name}))
            continue
        ext = file_extension(name)
        if ext in refused:
            problems.append(str(exc.FILE_TYPE_REFUSED % {"ext": ext}))
        size = f.size or 0
        if size == 0:
            problems.append(str(exc.FILE_EMPTY % {"name": name}))
        elif size > max_file:
            problems.append(str(exc.FILE_TOO_LARGE % {"name": name, "limit": max_file // 2**20}))
        total += size
    if total > settings.ATTACHMENT_MAX_TICKET_BYTES:
        problems.append(str(exc.FILES_TOO_LARGE % {
            "limit": settings.ATTACHMENT_MAX_TICKET_BYTES // 2**20}))
    return problems


def attachments_write(*, files: list) -> list[attachment_store.StoredFile]:
    """Write the files before their rows (see tickets/attachment_store.py: the caller's
    files_guard deletes them unless the rows commit)."""
    return attachment_store.files_write(files=files) if files else []


def ticket_attachment_bytes(*, ticket: Ticket) -> int:
    """The bytes already attached to the ticket (its limit counts them)."""
    return Attachment.objects.filter(message__ticket=ticket).aggregate(
        total=Sum("size_bytes"))["total"] or 0
