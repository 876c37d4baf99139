"""Store a reply on its ticket through the tickets services.

Attachments are checked against the site's limits first: an oversized or refused one is
left out and noted on the reply, the rest of the message is kept. The full original stays
on the InboundMessage row (raw bytes), linked to the ticket message for agents.
"""

from __future__ import annotations

import mimetypes
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from tickets import attachments as ticket_attachments
from tickets import services as ticket_services
from tickets.models import Message, Ticket

from .parse import ParsedAttachment, ParsedMessage

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]+")
MAX_NAME_CHARS = 255


def attachment_display_name(attachment: ParsedAttachment, index: int) -> str:
    """The sender's file name as a display name only (no path, no control characters)."""
    name = attachment.name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip().strip(".")
    if not name:
        ext = mimetypes.guess_extension(attachment.content_type or "") or ".bin"
        name = f"attachment-{index}{ext}"
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:MAX_NAME_CHARS - len(ext) - 1] + "." + ext) if dot and len(ext) < 16 \
            else name[:MAX_NAME_CHARS]
    return name


def files_split(*, attachments: list[ParsedAttachment], ticket: Ticket | None
                ) -> tuple[list[SimpleUploadedFile], list[str]]:
    """(files that may be stored, one note per file left out)."""
    if not attachments:
        return [], []
    existing = ticket_attachments.ticket_attachment_bytes(ticket=ticket) if ticket else 0
    kept, notes = [], []
    for index, attachment in enumerate(attachments, start=1):
        upload = SimpleUploadedFile(attachment_display_name(attachment, index),
                                    attachment.content, content_type=attachment.content_type)
        problems = ticket_attachments.attachment_problems(files=[upload], existing_bytes=existing)
        if problems:
            notes.extend(problems)
            continue
        existing += upload.size
        kept.append(upload)
    return kept, notes


def body_with_notes(body: str, notes: list[str]) -> str:
    body = body.strip()
    if notes:
        lines = "\n".join(f"- {note}" for note in notes)
        heading = _("Attachments not kept")
        body = f"{body}\n\n[{heading}]\n{lines}".strip()
    return body or _("(The email had no text.)")


def reply_record(*, ticket: Ticket, parsed: ParsedMessage, body: str, user, address: str,
                 kind: str, with_attachments: bool = True, ticket_locked: bool = False
                 ) -> Message:
    """`ticket_locked`: `ticket` is the caller's locked instance (batch processing)."""
    files, notes = files_split(attachments=parsed.attachments if with_attachments else [],
                               ticket=ticket)
    return ticket_services.ticket_reply_create(
        ticket=ticket, author=user, body=body_with_notes(body, notes), files=files, kind=kind,
        source=Message.Source.EMAIL, author_email=address[:254] if user is None else "",
        ticket_locked=ticket_locked,
    )
