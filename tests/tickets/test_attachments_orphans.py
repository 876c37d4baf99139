"""manage.py attachments_orphans: files without a row (deleted with --delete once old
enough), rows without a file (reported, never deleted); local disk and the S3 bucket."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from tests.factories import TicketFactory, upload
from tickets.models import Attachment

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("attachments_orphans", *args, stdout=out)
    return out.getvalue().splitlines()


def _age(settings, key: str, seconds: float) -> None:
    path = settings.MEDIA_ROOT / key
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_local_disk_orphans_reported_then_deleted_rows_without_file_reported(two_orgs,
                                                                             settings):
    ticket = TicketFactory.create(requester=two_orgs.maria,
                                  files=[upload("kept.txt"), upload("lost.txt")])
    kept, lost = Attachment.objects.order_by("original_name")
    (settings.MEDIA_ROOT / lost.file.name).unlink()
    old = default_storage.save("attachments/2020/01/" + "a" * 32, ContentFile(b"orphan"))
    young = default_storage.save("attachments/2020/01/" + "b" * 32, ContentFile(b"in flight"))
    _age(settings, old, 2 * 3600)
    _age(settings, kept.file.name, 2 * 3600)

    lines = run()
    assert f"orphan file: {old}" in lines and all(young not in line for line in lines)
    assert (f"missing file: attachment {lost.pk} {lost.file.name} "
            f"(ticket {ticket.number}, 'lost.txt')") in lines
    assert lines[-1] == "orphan_files=1 deleted=0 missing_files=1"
    assert default_storage.exists(old)  # a report deletes nothing

    assert run("--delete")[-1] == "orphan_files=1 deleted=1 missing_files=1"
    assert not default_storage.exists(old)
    assert default_storage.exists(young) and default_storage.exists(kept.file.name)
    assert Attachment.objects.count() == 2  # rows are never deleted
    assert run("--delete", "--min-age-minutes", "0")[-1] == \
        "orphan_files=1 deleted=1 missing_files=1"  # the young one, once old enough
    assert run()[-1] == "orphan_files=0 deleted=0 missing_files=1"


def test_bucket_orphans_and_missing_objects(two_orgs, s3_bucket, s3_server):
    TicketFactory.create(requester=two_orgs.maria, files=[upload("kept.txt"),
                                                          upload("lost.txt")])
    kept, lost = Attachment.objects.order_by("original_name")
    s3 = s3_server.client()
    s3.delete_object(Bucket=s3_bucket, Key=lost.file.name)
    s3.put_object(Bucket=s3_bucket, Key="attachments/2020/01/" + "c" * 32, Body=b"orphan")
    s3.put_object(Bucket=s3_bucket, Key="elsewhere/not-ours", Body=b"not an attachment")

    lines = run("--min-age-minutes", "0")
    assert "orphan file: attachments/2020/01/" + "c" * 32 in lines
    assert lines[-1] == "orphan_files=1 deleted=0 missing_files=1"
    assert run("--delete", "--min-age-minutes", "0")[-1] == \
        "orphan_files=1 deleted=1 missing_files=1"
    assert s3_server.keys(s3_bucket) == sorted([kept.file.name, "elsewhere/not-ours"])
