"""The attachments' store chosen from the environment: local disk by default, the S3
bucket named by AWS_STORAGE_BUCKET_NAME (with its endpoint, keys and region) otherwise."""

import os
import subprocess
import sys

from django.conf import settings

ROUND_TRIP = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; "
    "django.setup(); from django.conf import settings as s; "
    "from django.core.files.base import ContentFile; "
    "from django.core.files.storage import default_storage as d; "
    "key = d.save('attachments/probe', ContentFile(b'round trip')); "
    "print(type(d._wrapped).__name__, s.ATTACHMENT_DOWNLOAD, s.ATTACHMENT_SIGNED_URL_SECONDS, "
    "d.open(key).read().decode().replace(' ', '_'))")


def _run(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-c", ROUND_TRIP],
                          env={**base, "MEDIA_ROOT": str(tmp_path / "media"), **env},
                          cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)


def test_local_disk_is_the_embedded_default(tmp_path):
    result = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FileSystemStorage", "stream", "60", "round_trip"]
    assert (tmp_path / "media" / "attachments" / "probe").read_bytes() == b"round trip"


def test_bucket_name_switches_to_the_object_store(tmp_path, s3_server):
    bucket = s3_server.bucket_create()
    result = _run(tmp_path, **s3_server.env(bucket), ATTACHMENT_DOWNLOAD="redirect",
                  ATTACHMENT_SIGNED_URL_SECONDS="30")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "redirect", "30", "round_trip"]
    assert s3_server.keys(bucket) == ["attachments/probe"]
    assert not (tmp_path / "media").exists()
