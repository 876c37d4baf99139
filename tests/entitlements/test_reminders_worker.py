"""Contract reminders through a real Celery worker (Redis broker, PostgreSQL).

Skips with a reason outside CI when PostgreSQL or Redis is missing; fails when CI=true and
Redis is missing. On SQLite it skips with "needs PostgreSQL" (the worker, another process,
cannot see an in-memory test database); CI runs the suite on PostgreSQL too.
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from entitlements.models import SupportContract
from tests.factories import DeploymentFactory, SupportContractFactory

ROOT = Path(__file__).resolve().parents[2]
# Its own Redis database, so that no other worker takes these tasks.
REDIS_URL = os.environ.get("TEST_CREDITS_REDIS_URL", "redis://127.0.0.1:6379/2")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),  # committed data the worker can see
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI ({REDIS_URL})")
        pytest.skip(f"needs Redis at {REDIS_URL}")


def _catalogue_seed():
    """An earlier transactional test may have flushed the seeded catalogue: seed it again
    with the data migration's own (idempotent) function."""
    import importlib

    from django.apps import apps

    importlib.import_module("catalog.migrations.0002_seed_support_catalogue").seed(apps, None)


@pytest.fixture
def worker(tmp_path):
    _redis_or_skip()
    _catalogue_seed()
    db = connection.settings_dict
    env = {**os.environ, "REDIS_URL": REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "false",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
           "EMAIL_BACKEND": "helpdesk.mail_backends.EmlFileBackend", "CONN_MAX_AGE": "0"}
    log = open(tmp_path / "worker.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo",
         "--concurrency=1", "--loglevel=WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield {"outbox": tmp_path / "outbox", "process": process, "log": tmp_path / "worker.log"}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_beat_task_sends_the_7_day_reminder_once_through_a_worker(worker, two_orgs):
    from celery import Celery

    contract = SupportContractFactory(
        deployment=DeploymentFactory(organization=two_orgs.acme, code="DEP-7777"),
        starts_on=timezone.localdate() - dt.timedelta(days=300),
        ends_on=timezone.localdate() + dt.timedelta(days=7))
    client = Celery("helpdesk", broker=REDIS_URL)
    for _ in range(2):  # the beat fires twice: still one email
        client.send_task("entitlements.tasks.contract_reminders_dispatch")
    sent = _wait_for(lambda: SupportContract.objects.filter(
        pk=contract.pk, reminder_7_sent_for__isnull=False).exists()
        and worker["outbox"].exists() and any(worker["outbox"].glob("*.eml")))
    assert sent, worker["log"].read_text(errors="replace")[-3000:]
    time.sleep(3)  # give a duplicate the time to show up
    emails = list(worker["outbox"].glob("*.eml"))
    assert len(emails) == 1
    body = emails[0].read_bytes().decode()
    assert "DEP-7777" in body and "maria@acme.example" in body
