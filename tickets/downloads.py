"""Serving an attachment: always a download, never rendered by the browser.

Used by the customer site (after its visibility check) and the agent workspace (after
the staff permission check). The stored name is ours; the customer's file name appears
only in Content-Disposition (RFC 5987-encoded by Django).

Local disk: streamed from the file. Object store: streamed from the object by default
(settings.ATTACHMENT_DOWNLOAD = "stream": the store's endpoint may be reachable only from
our hosts, and no URL outlives the permission check), or with "redirect" a 302 to a signed
URL valid ATTACHMENT_SIGNED_URL_SECONDS that forces the download and a safe content type
(response-content-disposition / response-content-type), so the bytes skip the web process.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from .models import Attachment

logger = logging.getLogger(__name__)

SAFE_CONTENT_TYPE = "application/octet-stream"
# What a store that is down or refuses raises (a programming error is not one: it is a 500).
STORE_ERRORS = (BotoCoreError, ClientError, OSError)
STORE_UNAVAILABLE = _("This file cannot be downloaded right now. Please try again in a few "
                      "minutes.")


def download_name(name: str) -> str:
    printable = "".join(ch for ch in name if ch.isprintable())
    return printable or "attachment"


def uses_object_store(storage) -> bool:
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def _secure(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_response(attachment: Attachment):
    storage = attachment.file.storage
    try:
        if not uses_object_store(storage):
            return _file_response(attachment)
        if settings.ATTACHMENT_DOWNLOAD == "redirect":
            return _redirect_response(attachment, storage)
        return _object_stream_response(attachment, storage)
    except STORE_ERRORS:  # the store is down or refuses: say so, no 500
        logger.error("attachment %s unreadable", attachment.pk, exc_info=True)
        return _secure(HttpResponse(str(STORE_UNAVAILABLE), status=503,
                                    content_type="text/plain; charset=utf-8"))


def _file_response(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    return _secure(FileResponse(handle, as_attachment=True,
                                filename=download_name(attachment.original_name),
                                content_type=SAFE_CONTENT_TYPE))


def _object_key(storage, name: str) -> str:
    """The object's key in the bucket: the storage's location joined to the file name."""
    from storages.utils import clean_name, safe_join

    return safe_join(storage.location, clean_name(name))


def _object_stream_response(attachment: Attachment, storage) -> FileResponse:
    try:
        obj = storage.bucket.Object(_object_key(storage, attachment.file.name)).get()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise Http404 from error
        raise
    # FileResponse streams the body and closes it; it cannot size a stream itself.
    response = FileResponse(obj["Body"], as_attachment=True,
                            filename=download_name(attachment.original_name),
                            content_type=SAFE_CONTENT_TYPE)
    response["Content-Length"] = str(obj["ContentLength"])
    return _secure(response)


def _redirect_response(attachment: Attachment, storage) -> HttpResponseRedirect:
    url = storage.url(attachment.file.name, parameters={
        "ResponseContentDisposition": content_disposition_header(
            True, download_name(attachment.original_name)),
        "ResponseContentType": SAFE_CONTENT_TYPE,
    }, expire=settings.ATTACHMENT_SIGNED_URL_SECONDS)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return _secure(response)
