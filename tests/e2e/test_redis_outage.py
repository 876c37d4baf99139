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
import time

import pytest

from mailgateway.models import OutboundMessage
from tests.support.mail_backends import sent_message_ids
from tests.support.procs import (
    free_port,
    host_env,
    port_open,
    require_postgres,
    require_redis_server,
    wait_until,
)
from tests.support.web import WebClient
from tests.tickets.agent_setup import make_agent
from tickets.models import Ticket

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

require_postgres()
require_redis_server()

DEPARTMENT = "sipstation-general"
QUEUE = "/admin/tickets/ticket/"


@pytest.fixture
def site(tmp_path, two_orgs, private_redis, processes):
    port = free_port()
    # The sweep hands pending mail to the broker within seconds (production: a minute).
    env = host_env(tmp_path, REDIS_URL=private_redis.url, CACHE_RETRY_SECONDS="1",
                   OUTBOX_DISPATCH_AFTER_SECONDS="2", OUTBOX_SWEEP_SECONDS="1")
    processes.gunicorn(env=env, port=port, workers=2)
    processes.celery_worker(env=env, concurrency=1)
    processes.celery_beat(env=env, schedule=tmp_path / "var" / "beat-schedule")
    return f"http://127.0.0.1:{port}", private_redis, processes


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
