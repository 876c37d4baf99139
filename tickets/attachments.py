"""Attachments of ticket messages: the rules a file must meet (size, name, type), the
bytes a ticket holds already, and the write of the files before their rows (the store
itself, and the guarantee that no uncommitted file survives, are in attachment_store.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.db.models import Sum

from . import attachment_store
from . import exceptions as exc
from .models import Attachment, Ticket


def _clean_name(name: str) -> str:
    return (name or "").strip()


def _extension(name: str) -> str:
    """The extension the customer's system sees: Windows drops trailing dots and spaces,
    so "page.html." and "page.html " are saved as page.html."""
    stem = name.rstrip(". ")
    return stem.rsplit(".", 1)[-1].lower() if "." in stem else ""


def attachment_problems(*, files: Iterable, existing_bytes: int = 0) -> list[str]:
    """Every reason these files may not be attached; empty when they may."""
    problems: list[str] = []
    max_file = settings.ATTACHMENT_MAX_FILE_BYTES
    total = existing_bytes
    refused = {e.lower().lstrip(".") for e in settings.ATTACHMENT_REFUSED_EXTENSIONS}
    for f in files:
        name = _clean_name(getattr(f, "name", ""))
        base = PureWindowsPath(PurePosixPath(name).name).name
        if not name or base != name or name in {".", ".."} or "\x00" in name:
            problems.append(str(exc.FILE_NAME_INVALID % {"name": name}))
            continue
        ext = _extension(name)
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
