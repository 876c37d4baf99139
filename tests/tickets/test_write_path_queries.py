"""The write paths' query counts (issue 16), whole requests through the middleware: the
submit form's POST, a customer's reply and an agent's reply on the desk, each with the
email it records (its row and outbox task) and the dispatch after commit, as with a real
broker (not eager: the email is handed to a drain, which costs the request no statement;
the drain's message is caught). Counted with transaction control (BEGIN, SAVEPOINT…) left
out, per test environment: the PostgreSQL pass keeps sessions and permission sets in
Redis, the SQLite one reads them from the database."""

import uuid

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.tickets.agent_setup import make_agent
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# With an email, the drain's flag after commit: a Redis command on PostgreSQL's pass, three
# statements of the database cache (Django's DatabaseCache.add: count, read, insert) on
# SQLite's, which has no Redis.
# On PostgreSQL's pass (with Redis) the department, its fields, the service-level policy and
# the webhook endpoints come from the configuration memo (catalog.config_memo; SQLite's pass
# has no Redis and reads them), and one read of the submission key serves both its checks:
# the user, that read, then the ticket, its message, event, email row and outbox task.
SUBMIT = {"postgresql": 7, "sqlite": 15}
# A reply without files reads no attachment total (the form reads it only for files).
CUSTOMER_REPLY = {"postgresql": 6, "sqlite": 7}
# The agent reply reads no macro unless one is posted (issue 16: one statement fewer).
AGENT_REPLY = {"postgresql": 9, "sqlite": 16}


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(TRANSACTION_CONTROL)]


@pytest.fixture(autouse=True)
def broker(monkeypatch):
    """Not eager; the drain's messages are caught."""
    from django.core.cache import cache

    from outbox import services as outbox_services
    from outbox import tasks as outbox_tasks

    published = []
    monkeypatch.setattr(outbox_services, "_eager", lambda: False)
    monkeypatch.setattr(outbox_tasks.outbox_drain, "apply_async",
                        lambda **options: published.append(options))
    cache.delete(outbox_services.drain_flag_key())
    yield published
    cache.delete(outbox_services.drain_flag_key())


def _count(client, path: str, data: dict) -> tuple[int, list[str]]:
    from django.core.cache import cache

    from outbox.services import drain_flag_key

    client.post(path, data)  # warm: the first request of a session may write it
    data = {**data, "submission_key": str(uuid.uuid4())} if "submission_key" in data else data
    cache.delete(drain_flag_key())  # this request's commit publishes the drain
    with CaptureQueriesContext(connection) as queries, \
            TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(path, data)
    assert response.status_code == 302, response.content[:300]
    statements = _statements(queries.captured_queries)
    return len(statements), statements


def _ticket(two_orgs) -> Ticket:
    from catalog.models import Department

    return services.ticket_create(requester=two_orgs.maria, subject="One-way audio",
                                  department=Department.objects.get(code="sipstation-general"),
                                  body="Details.")


def test_submitting_a_ticket_costs_a_fixed_number_of_queries(client, two_orgs, broker):
    client.force_login(two_orgs.maria)
    count, statements = _count(client, reverse("tickets:submit_details",
                                               args=["sipstation-general"]),
                               {"submission_key": str(uuid.uuid4()), "subject": "Trunk down",
                                "message": "Since Monday every call drops."})
    assert count == SUBMIT[connection.vendor], statements
    assert len(broker) == 1  # its confirmation: one drain message


def test_a_customer_reply_costs_a_fixed_number_of_queries(client, two_orgs):
    ticket = _ticket(two_orgs)
    client.force_login(two_orgs.maria)
    count, statements = _count(client, reverse("tickets:reply", args=[ticket.number]),
                               {"message": "The trunk re-registered."})
    assert count == CUSTOMER_REPLY[connection.vendor], statements


def test_an_agent_reply_costs_a_fixed_number_of_queries(client, two_orgs, broker):
    ticket = _ticket(two_orgs)
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    count, statements = _count(client, reverse("admin:desk_action", args=[ticket.pk, "reply"]),
                               {"action": "reply", "kind": "reply", "body": "Check the timers.",
                                "seen_message": 10**6})
    assert count == AGENT_REPLY[connection.vendor], statements
    assert len(broker) == 1  # its email: one drain message
