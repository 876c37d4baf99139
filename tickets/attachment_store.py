"""Attachment files: every path that stores one (customer wizard and reply, agent reply and
note, inbound mail) goes through `files_write` then `rows_create`, inside a `files_guard`.

No file outlives a rolled-back request. How:

1. `files_write` writes the files BEFORE their rows — outside the ticket's transaction when
   the service owns it, so a slow object store never holds the ticket's row lock — each
   under a new random key (attachments/YYYY/MM/<128 random bits>: not guessable). A write
   that fails midway deletes what this call wrote, the partial file included, and raises
   `AttachmentStoreFailed` (shown on the form; an OSError, so the mail tasks retry it).
2. `rows_create` inserts the rows and registers, with `transaction.on_commit(robust=True)`,
   a marker that keeps the files once the transaction that holds their rows has committed.
3. When the outermost `files_guard` exits — after the transaction committed or rolled
   back — the files whose marker did not run are looked up again (a fresh query on their
   keys) and only those no row names are deleted: an exception anywhere in the request, a
   rolled-back savepoint (Django drops its on_commit callbacks). The marker alone cannot
   decide: Django stops running on_commit callbacks at the first non-robust one that
   raises, and that exception leaves `atomic()` AFTER the COMMIT; a COMMIT that succeeds on
   the server but whose acknowledgement is lost raises too. So a committed row always keeps
   its file. A guard nested in another one hands its files to the outer guard; the mail
   tasks open one around their own transaction.

If that query fails (the database went away at that moment) nothing is deleted, and if a
delete fails (the store went away), the files are logged and left for
`manage.py attachments_orphans --delete`, the operator's safety net. A guard that exits
inside a transaction it does not own (tests wrapped in a transaction; no production path
does this) deletes only the files whose rows are gone (a rolled-back savepoint) and leaves
the others, which that transaction may still commit, to the same command.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from . import exceptions as exc
from .models import Attachment, Message

logger = logging.getLogger(__name__)

KEY_PREFIX = "attachments/"


@dataclass(eq=False)
class StoredFile:
    """A file written to the store, not yet known to be kept."""

    key: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    kept: bool = False


@dataclass(eq=False)
class _Guard:
    files: list[StoredFile] = field(default_factory=list)

    def discard_uncommitted(self) -> None:
        """Delete the files no row names (once their transaction is over)."""
        unkept = [f.key for f in self.files if not f.kept]
        self.files = []
        if not unkept:
            return
        try:  # a fresh query: the keep marker may not have run although the rows committed
            named = set(Attachment.objects.filter(file__in=unkept)
                        .values_list("file", flat=True))
        except Exception as error:
            logger.error("attachment files %s not checked against their rows, so not deleted "
                         "(left for attachments_orphans): %r", unkept, error, exc_info=True)
            return
        if named and transaction.get_connection().in_atomic_block:
            logger.debug("attachment files left to an outer transaction: %s", sorted(named))
        elif named:
            logger.warning("attachment files kept: their rows committed but the keep marker "
                           "did not run: %s", sorted(named))
        keys_delete(keys=[key for key in unkept if key not in named])


_current: contextvars.ContextVar[_Guard | None] = contextvars.ContextVar(
    "attachment_files_guard", default=None)


@contextlib.contextmanager
def files_guard() -> Iterator[_Guard]:
    """Delete, on the way out, every file written inside whose row did not commit."""
    parent = _current.get()
    guard = _Guard()
    token = _current.set(guard)
    try:
        yield guard
    finally:
        _current.reset(token)
        if parent is not None:  # the outer guard decides once its transaction is over
            parent.files.extend(guard.files)
        else:
            guard.discard_uncommitted()


def attachment_key_new() -> str:
    return f"{KEY_PREFIX}{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


def _digest(f) -> str:
    digest = hashlib.sha256()
    for chunk in f.chunks() if hasattr(f, "chunks") else [f.read()]:
        digest.update(chunk)
    f.seek(0)
    return digest.hexdigest()


def files_write(*, files: Iterable) -> list[StoredFile]:
    """Write each file under a new key; all or none (AttachmentStoreFailed)."""
    guard = _current.get()
    if guard is None:
        raise RuntimeError("Attachment files are written inside files_guard().")
    written: list[StoredFile] = []
    for f in files:
        key = attachment_key_new()
        try:
            stored = StoredFile(
                key=key, original_name=(f.name or "").strip()[:255],
                content_type=(getattr(f, "content_type", "") or "application/octet-stream")[:120],
                size_bytes=f.size, sha256=_digest(f))
            saved_key = default_storage.save(key, f)
        except Exception as error:
            logger.error("attachment write failed (%s): %r", key, error, exc_info=True)
            keys_delete(keys=[key, *(s.key for s in written)])
            raise exc.AttachmentStoreFailed() from error
        stored.key = saved_key
        written.append(stored)
        guard.files.append(stored)
    return written


def rows_create(*, message: Message, stored: list[StoredFile]) -> list[Attachment]:
    """The rows of files written by `files_write`; they are kept when this commits."""
    if not stored:
        return []
    rows = Attachment.objects.bulk_create([
        Attachment(message=message, file=s.key, original_name=s.original_name,
                   content_type=s.content_type, size_bytes=s.size_bytes, sha256=s.sha256)
        for s in stored])

    def keep() -> None:
        for s in stored:
            s.kept = True

    transaction.on_commit(keep, robust=True)
    return rows


def keys_delete(*, keys: Iterable[str]) -> list[str]:
    """Delete these files; the keys that could not be deleted (logged, left to the
    orphans command)."""
    failed = []
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception as error:
            logger.error("attachment file %s not deleted (left for attachments_orphans): %r",
                         key, error)
            failed.append(key)
    return failed


def file_read(*, attachment: Attachment) -> bytes:
    """The file's bytes (outbound mail). A store that fails raises AttachmentReadFailed,
    an OSError: the send task retries it."""
    try:
        with attachment.file.open("rb") as handle:
            return handle.read()
    except Exception as error:
        raise exc.AttachmentReadFailed(f"attachment {attachment.pk} unreadable: {error!r}"
                                       ) from error


# --- the operator's safety net (manage.py attachments_orphans) ---------------------------

def stored_files(*, storage=None) -> Iterator[tuple[str, float]]:
    """(key, modified time as a POSIX timestamp) of every file under attachments/, on local
    disk or in the bucket."""
    storage = storage or default_storage
    if hasattr(storage, "bucket") and hasattr(storage, "location"):
        prefix = f"{storage.location.strip('/')}/" if storage.location else ""
        for obj in storage.bucket.objects.filter(Prefix=prefix + KEY_PREFIX):
            yield obj.key[len(prefix):], obj.last_modified.timestamp()
        return
    root = storage.path(KEY_PREFIX.rstrip("/"))
    base = storage.path("")
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                yield os.path.relpath(path, base).replace(os.sep, "/"), os.stat(path).st_mtime
