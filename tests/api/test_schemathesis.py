"""Schemathesis, in-process (WSGI), against the generated OpenAPI schema, for an anonymous
caller, a plain contact, an organization admin, another organization's admin, an agent and
a billing token: no server error, no response outside the schema, no undocumented status,
no endpoint that ignores authentication (every other check of schemathesis but the
acceptance of schema-valid data, which business rules refuse with a documented 400). Few
examples per operation (CI time)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tests.api.conftest import token_client
from tests.factories import StaffFactory, TicketFactory, upload
from tests.factories.credits import book

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", "contact", "org_admin", "other_org", "agent", "billing")
EXAMPLES = 4


def api_schema():
    raw = json.loads(OpenApiJsonRenderer().render(
        SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    return schema


@pytest.fixture(autouse=True)
def _connections_kept():
    """As Django's test client does: a request's end does not close the database connection
    (the test's transaction lives on it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(two_orgs, monkeypatch) -> dict:
    # Generated webhook URLs name random hosts: no DNS lookups from the test (one public
    # address for every name).
    monkeypatch.setattr("webhooks.services._addresses", lambda host: ["192.0.2.200"]
                        if host.endswith(".invalid") else ["8.8.8.8"])
    two_orgs.agent.groups.add(Group.objects.get(name="Agents"))
    book(two_orgs.acme, 300)
    TicketFactory.create(requester=two_orgs.juan, files=[upload()])
    TicketFactory.create(requester=two_orgs.maria)
    billing = StaffFactory(is_superuser=True)
    tokens = {"contact": (two_orgs.juan, ["read", "write"]),
              "org_admin": (two_orgs.maria, ["read", "write"]),
              "other_org": (two_orgs.ana, ["read", "write"]),
              "agent": (two_orgs.agent, ["read", "write"]),
              "billing": (billing, ["billing"])}
    headers = {"anonymous": {}}
    for role, (user, scopes) in tokens.items():
        headers[role] = {"Authorization": f"Bearer {token_client(user, scopes).secret}"}
    return headers


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_schema(callers, role):
    headers, failures = callers[role], []
    for result in api_schema().get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/docs/":
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            # Business rules refuse some schema-valid bodies (a wrong card number, an
            # unknown department) with a documented 400: acceptance is not asked.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            run()
        except Exception as error:  # collect every operation's failure, then report
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("role", ["contact", "agent"])
def test_stateful_runs_follow_the_schemas_links(callers, role):
    """Schemathesis' state machine over the schema's links (a created ticket's number to
    its page, reply and resolution; an agent's ticket to reply, time and changes)."""
    headers = callers[role]
    base = api_schema().as_state_machine()

    class Machine(base):
        def before_call(self, case):
            # The token on the case itself: the authentication check replaces it with a
            # wrong one and must then be refused.
            case.headers = {**(case.headers or {}), **headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # ignored_auth garbles one security scheme at a time (the session cookie) while
            # the token stays valid: the schemes are alternatives, so that is no bypass.
            # Authentication is proven by the anonymous run above and test_api_walk's
            # revoked token (401 on every route and method).
            case.validate_response(response, excluded_checks=[positive_data_acceptance,
                                                              ignored_auth],
                                   transport_kwargs=kwargs)

    Machine.run(settings=settings(max_examples=3, stateful_step_count=4, deadline=None,
                                  database=None, derandomize=True,
                                  suppress_health_check=list(HealthCheck)))
