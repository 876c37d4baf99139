"""The request id travels with the task: a ticket submitted through gunicorn queues its
notification on Redis, and the real Celery worker's JSON log line for that task carries the
X-Request-ID of the submission's response. Runs on the CI PostgreSQL pass (Redis as broker);
there it never skips."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.procs import (
    broker_clean,
    free_port,
    host_env,
    require_postgres,
    require_redis,
    wait_until,
)
from tests.support.web import WebClient

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REDIS_URL = os.environ.get("REDIS_URL", "")
require_postgres()
require_redis(REDIS_URL)


@pytest.fixture
def broker():
    broker_clean(REDIS_URL)
    yield REDIS_URL
    broker_clean(REDIS_URL)


def json_lines(path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


def test_the_worker_logs_the_request_id_of_the_request_that_queued_the_task(
        tmp_path, two_orgs, broker, processes):
    env = host_env(tmp_path, REDIS_URL=broker, CELERY_BROKER_URL=broker, LOG_FORMAT="json",
                   LOG_LEVEL="INFO")
    port = free_port()
    processes.gunicorn(env=env, port=port, workers=1)
    worker = processes.celery_worker(env=env, concurrency=1, extra=("-l", "INFO"))
    customer = WebClient(f"http://127.0.0.1:{port}")
    assert customer.login(two_orgs.maria.email, two_orgs.password).status_code == 302
    response = customer.submit_ticket(department_code="sipstation-general",
                                      subject="Echo on calls", message="Since Monday.")
    assert response.status_code == 302
    request_id = response.headers["X-Request-ID"]
    task_lines = wait_until(
        lambda: [line for line in json_lines(worker.log_path)
                 if line.get("request_id") == request_id],
        timeout=60, interval=0.3, what="the task's log line with the request id")
    assert any("succeeded" in line["message"] for line in task_lines), task_lines
    assert all(line["logger"].startswith("celery") for line in task_lines)
