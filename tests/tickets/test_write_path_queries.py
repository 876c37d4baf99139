"""The write paths' query counts (issue 16), whole requests through the middleware: the
submit form's POST, a customer's reply and an agent's reply on the desk, each with the
email it records (its row and outbox task) and the dispatch after commit. Counted with
transaction control (BEGIN, SAVEPOINT…) left out, per test environment: the PostgreSQL
pass keeps sessions and permission sets in Redis, the SQLite one reads them from the
database."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.tickets.agent_setup import make_agent
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
SUBMIT = {"postgresql": 12, "sqlite": 13}
CUSTOMER_REPLY = {"postgresql": 7, "sqlite": 8}
AGENT_REPLY = {"postgresql": 11, "sqlite": 14}


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(TRANSACTION_CONTROL)]


def _count(client, path: str, data: dict) -> tuple[int, list[str]]:
    client.post(path, data)  # warm: the first request of a session may write it
    data = {**data, "submission_key": str(uuid.uuid4())} if "submission_key" in data else data
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, data)
    assert response.status_code == 302, response.content[:300]
    statements = _statements(queries.captured_queries)
    return len(statements), statements


def _ticket(two_orgs) -> Ticket:
    from catalog.models import Department

    return services.ticket_create(requester=two_orgs.maria, subject="One-way audio",
                                  department=Department.objects.get(code="sipstation-general"),
                                  body="Details.")


def test_submitting_a_ticket_costs_a_fixed_number_of_queries(client, two_orgs):
    client.force_login(two_orgs.maria)
    count, statements = _count(client, reverse("tickets:submit_details",
                                               args=["sipstation-general"]),
                               {"submission_key": str(uuid.uuid4()), "subject": "Trunk down",
                                "message": "Since Monday every call drops."})
    assert count == SUBMIT[connection.vendor], statements


def test_a_customer_reply_costs_a_fixed_number_of_queries(client, two_orgs):
    ticket = _ticket(two_orgs)
    client.force_login(two_orgs.maria)
    count, statements = _count(client, reverse("tickets:reply", args=[ticket.number]),
                               {"message": "The trunk re-registered."})
    assert count == CUSTOMER_REPLY[connection.vendor], statements


def test_an_agent_reply_costs_a_fixed_number_of_queries(client, two_orgs):
    ticket = _ticket(two_orgs)
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    count, statements = _count(client, reverse("admin:desk_action", args=[ticket.pk, "reply"]),
                               {"action": "reply", "kind": "reply", "body": "Check the timers.",
                                "seen_message": 10**6})
    assert count == AGENT_REPLY[connection.vendor], statements
