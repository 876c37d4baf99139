"""A real gunicorn whose writes fail (RLIMIT_FSIZE: a file may not grow past 256 kB, so the
kernel answers EFBIG as a full disk answers ENOSPC) behind the real customer form, against
PostgreSQL: the customer sees the clear message in Spanish with what they typed, and
nothing is left behind — no ticket, message or attachment row, no file, no partial file.
Runs on the PostgreSQL pass (the web process must share the test database); there, it
never skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.procs import file_size_limit, free_port, host_env, require_postgres
from tests.support.web import WebClient
from tickets.models import Attachment, Message, Ticket

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

require_postgres()

LIMIT_BYTES = 256 * 1024
BIG = os.urandom(600 * 1024)
SMALL = os.urandom(10 * 1024)


@pytest.fixture
def server(tmp_path, processes):
    env = host_env(tmp_path, CELERY_TASK_ALWAYS_EAGER="true", PYTHONDONTWRITEBYTECODE="1")
    port = free_port()
    processes.gunicorn(env=env, port=port, workers=1,
                       preexec_fn=file_size_limit(LIMIT_BYTES))
    return f"http://127.0.0.1:{port}", tmp_path / "media", processes


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _submit(http: WebClient, subject: str, files: list[tuple[str, bytes]]):
    return http.submit_ticket(department_code="sipstation-general", subject=subject,
                              message="La llamada se corta a los 30 segundos.",
                              files=[("attachments", name, content) for name, content in files])


def test_disk_full_upload_is_a_clear_message_and_leaves_nothing(server, two_orgs):
    base, media, processes = server
    two_orgs.maria.language = "es"
    two_orgs.maria.save(update_fields=["language"])
    http = WebClient.force_login(base, two_orgs.maria, headers={"Accept-Language": "es"})

    response = _submit(http, "Corte a los 30 s", [("ok.txt", SMALL),
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
    response = _submit(http, "Con archivo pequeño", [("ok.txt", SMALL)])
    assert response.status_code == 302, processes.logs()
    attachment = Attachment.objects.get()
    assert _files(media) == [media / attachment.file.name]
    assert (media / attachment.file.name).read_bytes() == SMALL
