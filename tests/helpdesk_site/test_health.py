"""/healthz (the process answers, nothing else touched) and /readyz (each dependency named;
503 with what failed), against real failures: closed ports, a stale heartbeat, old mail."""

import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.utils import timezone

from mailgateway.models import OutboundMessage
from outbox import services as outbox_services
from outbox.models import Heartbeat, OutboxEmail
from tests.factories import TicketFactory
from tests.support.procs import free_port, host_env

pytestmark = pytest.mark.django_db


def ready(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_healthz_answers_without_database_session_or_cache(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert not response.cookies and "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/healthz/", "/readyz/"])
def test_probes_by_ip_address_answer_whatever_allowed_hosts_says(client, settings, path):
    """A container or load-balancer probe sends Host: 127.0.0.1:8000; production's
    ALLOWED_HOSTS names only the public host. The probe is answered (no 400, no https
    redirect); every other page still refuses that Host."""
    settings.ALLOWED_HOSTS = ["helpdesk.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get(path, HTTP_HOST="127.0.0.1:8000").status_code == 200
    for other in ("/accounts/login/", "/", "/nope/", "/healthzz"):
        assert client.get(other, HTTP_HOST="127.0.0.1:8000").status_code == 400, other
    assert client.get("/accounts/login/", HTTP_HOST="helpdesk.example.com").status_code == 301


def test_readyz_names_every_check_and_is_200_when_all_pass(client, settings):
    settings.REDIS_URL = ""  # the embedded default has no Redis and runs tasks in-process
    settings.CELERY_TASK_ALWAYS_EAGER = True
    status, body = ready(client)
    assert status == 200 and body["status"] == "ok" and body["failed"] == []
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker_heartbeat": "ok",
                              "pending_mail": "ok"}


def test_readyz_fails_when_redis_is_unreachable(client, settings, caplog):
    """The body names the failed check only; the exception (host, port) is logged."""
    port = free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"  # nothing listens there
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and body["failed"] == ["redis"]
    assert body["checks"]["redis"] == "failed" and body["checks"]["database"] == "ok"
    assert str(port) not in response.content.decode()
    assert "Connection" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "helpdesk.health"]
    assert logged and "redis" in logged[0].getMessage() and logged[0].exc_info


@pytest.fixture
def with_worker(settings):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a worker is expected to beat
    settings.READY_HEARTBEAT_MAX_AGE_SECONDS = 180
    return settings


def test_readyz_fails_without_a_worker_heartbeat(client, with_worker):
    status, body = ready(client)
    assert status == 503 and body["failed"] == ["worker_heartbeat"]
    assert body["checks"]["worker_heartbeat"] == "failed"


def test_readyz_fails_when_the_heartbeat_is_too_old(client, with_worker, caplog):
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - dt.timedelta(seconds=181))
    status, body = ready(client)
    assert status == 503 and body["failed"] == ["worker_heartbeat"]
    assert "'age_seconds': 18" in caplog.text  # the detail is in the log
    outbox_services.heartbeat_record()
    assert ready(client)[0] == 200


def test_readyz_fails_on_mail_pending_longer_than_the_limit(client, with_worker, two_orgs,
                                                            caplog):
    with_worker.READY_PENDING_MAIL_MINUTES = 15
    outbox_services.heartbeat_record()
    TicketFactory.create(requester=two_orgs.maria)  # its confirmation: recorded, unsent
    assert ready(client)[0] == 200  # young: on its way
    old = timezone.now() - dt.timedelta(minutes=16)
    OutboundMessage.objects.update(created_at=old)
    status, body = ready(client)
    assert status == 503 and body["failed"] == ["pending_mail"]
    assert "'ticket_emails': 1, 'outbox_tasks': 0" in caplog.text  # its task is young
    OutboundMessage.objects.update(sent_at=timezone.now())
    outbox_services.outbox_email_record(kind="t", to_address="a@b.example", subject="s",
                                        body_text="b")
    OutboxEmail.objects.update(created_at=old)
    caplog.clear()
    status, body = ready(client)
    assert status == 503 and "'outbox_emails': 1" in caplog.text


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_server_whose_database_and_redis_are_down_is_alive_but_not_ready(
        tmp_path, processes):
    """A real gunicorn whose PostgreSQL and Redis addresses are closed ports."""
    env = host_env(tmp_path, ALLOWED_HOSTS="helpdesk.example.com",
                   DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/down",
                   REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    port = free_port()
    processes.gunicorn(env=env, port=port, workers=1)
    assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
    # The container's health check, by IP address, with a public ALLOWED_HOSTS.
    check = subprocess.run(["deploy/bin/healthcheck", "web"], cwd=settings.BASE_DIR,
                           env={**env, "PYTHON": sys.executable,
                                "WEB_BIND": f"127.0.0.1:{port}"},
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    status, body = _get(f"http://127.0.0.1:{port}/readyz")
    assert status == 503, processes.logs()
    assert {"database", "redis", "worker_heartbeat", "pending_mail"} == set(body["failed"])
    assert set(body["checks"].values()) == {"failed"}
    assert "OperationalError" in processes.logs()  # logged, not shown
