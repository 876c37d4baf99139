"""Redis down, customers and agents keep working: gunicorn (2 workers) on PostgreSQL with its
cache on a private redis-server that is stopped and started again. Logins, My Tickets, ticket
submissions through the real form and the agent's queue answer without a 500 while it is down,
and every submission is saved exactly once.

The same Redis is the Celery broker, as in production: a real worker and beat run beside the
web processes, so while Redis is down the confirmations wait in the outbox, and once it is
back each ticket's confirmation is sent exactly once. Runs on the CI PostgreSQL pass; there it
never skips."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from django.conf import settings
from django.db import connection

from mailgateway.models import OutboundMessage
from tests.support.mail_backends import sent_message_ids
from tests.support.procs import IN_CI, PrivateRedis, Processes, free_port, port_open, wait_until
from tests.support.web import WebClient
from tests.tickets.agent_setup import make_agent
from tickets.models import Ticket

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
if not ON_POSTGRES:
    pytest.skip("outage tests run gunicorn on PostgreSQL (the CI PostgreSQL pass)",
                allow_module_level=True)
if not shutil.which("redis-server"):
    if IN_CI:
        raise RuntimeError("CI=true but redis-server is not installed")
    pytest.skip("redis-server not installed", allow_module_level=True)

DEPARTMENT = "sipstation-general"
QUEUE = "/admin/tickets/ticket/"


def database_url(*, port: int | None = None) -> str:
    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{port or db['PORT'] or 5432}/{db['NAME']}")


def server_env(tmp_path, **extra) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "false",
           "HELPDESK_VAR_DIR": str(tmp_path / "var"),
           "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), "MEDIA_ROOT": str(tmp_path / "media"),
           "CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING",
           "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
           "WHITENOISE_USE_FINDERS": "true", **extra}
    for name in ("TEST_DATABASE_NAME", "CELERY_BROKER_URL"):  # the broker: REDIS_URL
        env.pop(name, None)
    return env


@pytest.fixture
def site(tmp_path, two_orgs):
    redis = PrivateRedis(tmp_path / "redis")
    redis.start()
    processes = Processes(tmp_path / "logs")
    port = free_port()
    # The sweep hands pending mail to the broker within seconds (production: a minute).
    env = server_env(tmp_path, REDIS_URL=redis.url, CACHE_RETRY_SECONDS="1",
                     OUTBOX_DISPATCH_AFTER_SECONDS="2", OUTBOX_SWEEP_SECONDS="1")
    try:
        processes.gunicorn(env=env, port=port, workers=2)
        processes.celery_worker(env=env, concurrency=1)
        processes.celery_beat(env=env, schedule=tmp_path / "var" / "beat-schedule")
        yield f"http://127.0.0.1:{port}", redis, processes
    finally:
        processes.stop_all()
        redis.stop()


def _browse_and_submit(customer: WebClient, agent: WebClient, *, subjects: list[str]) -> None:
    for subject in subjects:
        assert customer.get("/").status_code == 200
        response = customer.submit_ticket(department_code=DEPARTMENT, subject=subject,
                                          message="Callers hear silence after the greeting.")
        assert response.status_code == 302 and "/submitted/" in response.headers["Location"]
        assert customer.get(response.headers["Location"]).status_code == 200
        assert agent.get(QUEUE).status_code == 200


def test_redis_down_customers_and_agents_keep_working(site, two_orgs, tmp_path):
    base_url, redis, processes = site
    make_agent(two_orgs.agent)
    customer, agent, newcomer = WebClient(base_url), WebClient(base_url), WebClient(base_url)
    assert customer.login(two_orgs.maria.email, two_orgs.password).status_code == 302
    assert agent.login(two_orgs.agent.email, two_orgs.password).status_code == 302
    _browse_and_submit(customer, agent, subjects=["before-0"])

    redis.stop()
    started = time.perf_counter()
    _browse_and_submit(customer, agent, subjects=[f"down-{n}" for n in range(10)])
    down_seconds = time.perf_counter() - started
    assert newcomer.login(two_orgs.ana.email, two_orgs.password).status_code == 302
    assert newcomer.get("/").status_code == 200
    assert agent.get("/admin/").status_code == 200
    assert customer.post_form("/accounts/logout/", {}, page=customer.get("/")).status_code == 302
    assert customer.get("/").status_code == 302  # logged out for good
    assert customer.login(two_orgs.maria.email, two_orgs.password).status_code == 302

    redis.start()
    wait_until(lambda: port_open(redis.port), timeout=10, what="redis back")
    time.sleep(1.1)  # CACHE_RETRY_SECONDS: the processes try Redis again
    _browse_and_submit(customer, agent, subjects=["after-0", "after-1"])
    assert newcomer.get("/").status_code == 200

    statuses = customer.statuses + agent.statuses + newcomer.statuses
    assert 500 not in statuses, processes.logs()
    subjects = list(Ticket.objects.filter(requester=two_orgs.maria)
                    .values_list("subject", flat=True))
    assert sorted(subjects) == sorted(["before-0", *[f"down-{n}" for n in range(10)],
                                       "after-0", "after-1"])  # each saved exactly once

    # Every confirmation, the ones queued while Redis was down included, is sent once.
    confirmations = OutboundMessage.objects.filter(ticket__requester=two_orgs.maria,
                                                   kind="created")
    wait_until(lambda: confirmations.filter(sent_at__isnull=False).count() == 13,
               timeout=180, interval=0.5, what="13 confirmations sent by the worker")
    time.sleep(3)  # more sweeps and beat runs: nothing is sent again
    assert confirmations.count() == 13
    sent = sent_message_ids(tmp_path / "outbox")
    assert sorted(sent) == sorted(confirmations.values_list("header_message_id", flat=True))
    assert set(sent.values()) == {1}, sent
    print(f"\nRedis down: 10 browse+submit+queue rounds (5 requests each) in "
          f"{down_seconds:.2f} s; load average {os.getloadavg()[0]:.2f}")
