"""A real gunicorn whose writes fail (RLIMIT_FSIZE: a file may not grow past 256 kB, so the
kernel answers EFBIG as a full disk answers ENOSPC) behind the real customer form, against
PostgreSQL: the customer sees the clear message in Spanish with what they typed, and
nothing is left behind — no ticket, message or attachment row, no file, no partial file.
Runs on the PostgreSQL pass (the web process must share the test database); there, it
never skips."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.support.procs import Processes, file_size_limit, free_port
from tickets.models import Attachment, Message, Ticket

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
if not ON_POSTGRES:
    if os.environ.get("CI") == "true" and os.environ.get("DATABASE_URL"):
        raise RuntimeError("CI=true with DATABASE_URL but the tests do not run on PostgreSQL")
    pytest.skip("the disk-full server test needs DATABASE_URL=postgres://… (the CI "
                "PostgreSQL pass runs it)", allow_module_level=True)

LIMIT_BYTES = 256 * 1024
BIG = os.urandom(600 * 1024)
SMALL = os.urandom(10 * 1024)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def server(tmp_path):
    db = connection.settings_dict
    url = (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
           f"{db['PORT'] or 5432}/{db['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "HELPDESK_VAR_DIR": str(tmp_path / "var"),
           "MEDIA_ROOT": str(tmp_path / "media"), "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
           "CELERY_TASK_ALWAYS_EAGER": "true", "CONN_MAX_AGE": "0", "LOG_LEVEL": "WARNING",
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    processes = Processes(tmp_path / "logs")
    port = free_port()
    processes.gunicorn(env=env, port=port, workers=1,
                       preexec_fn=file_size_limit(LIMIT_BYTES))
    yield f"http://127.0.0.1:{port}", tmp_path / "media", processes
    processes.stop_all()


def _session(user):
    import requests

    client = Client()
    client.force_login(user)
    http = requests.Session()
    http.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    http.headers["Accept-Language"] = "es"
    return http


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _submit(http, base: str, subject: str, files: list[tuple[str, bytes]]):
    url = f"{base}/tickets/new/sipstation-general/"
    page = http.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    return http.post(url, timeout=60, allow_redirects=False, headers={"Referer": url}, data={
        "csrfmiddlewaretoken": CSRF.search(page.text).group(1), "submission_key": key,
        "subject": subject, "message": "La llamada se corta a los 30 segundos."},
        files=[("attachments", (name, content)) for name, content in files])


def test_disk_full_upload_is_a_clear_message_and_leaves_nothing(server, two_orgs):
    base, media, processes = server
    two_orgs.maria.language = "es"
    two_orgs.maria.save(update_fields=["language"])
    http = _session(two_orgs.maria)

    response = _submit(http, base, "Corte a los 30 s", [("ok.txt", SMALL),
                                                        ("traza.pcap", BIG)])
    assert response.status_code == 200, processes.logs()
    html = response.text
    assert "No se pudieron guardar sus archivos" in html and "vuelva a elegir" in html
    assert 'value="Corte a los 30 s"' in html
    assert "La llamada se corta a los 30 segundos." in html
    assert (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count()) \
        == (0, 0, 0)
    assert _files(media) == []

    # The same server stores what fits: the failure above was the disk, nothing else.
    response = _submit(http, base, "Con archivo pequeño", [("ok.txt", SMALL)])
    assert response.status_code == 302, processes.logs()
    attachment = Attachment.objects.get()
    assert _files(media) == [media / attachment.file.name]
    assert (media / attachment.file.name).read_bytes() == SMALL
