"""Serving an attachment: always a download, never rendered by the browser.

Used by the customer site (after its visibility check) and the agent workspace (after
the staff permission check). The stored name is ours; the customer's file name appears
only in Content-Disposition (RFC 5987-encoded by Django).
"""

from django.http import FileResponse, Http404

from .models import Attachment


def download_name(name: str) -> str:
    printable = "".join(ch for ch in name if ch.isprintable())
    return printable or "attachment"


def attachment_response(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(handle, as_attachment=True,
                            filename=download_name(attachment.original_name),
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
