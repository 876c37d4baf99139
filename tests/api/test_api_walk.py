"""Every /api/v1/ route (walked from the resolver: a new one cannot be forgotten), by every
method, with a token of another organization's admin and with a revoked token: a route that
names the victim's objects answers 404 (exactly like a missing one; 405 only for a method
the route offers nobody), the agents' and the billing routes answer 404 by every method
(a customer is not told they exist), the others answer with the caller's own data; a
revoked token gets 401 everywhere; nothing changes in the database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import resolve

from accounts import api_tokens
from tests.api.conftest import token_client
from tests.helpdesk_site.test_route_access import (
    _changed,
    concrete,
    routes,
    snapshot,
    values_for,
    victim,
)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = ("api/v1/docs/",)  # an HTML page for the browser (login required)
ROLE_ROUTES = ("api/v1/agent/", "api/v1/billing/")  # agents', billing staff's: 404 to others


def api_routes() -> list[str]:
    return [r for r in routes() if r.replace("^", "").startswith("api/v1/")
            and r.replace("^", "") not in PUBLIC]


@pytest.fixture
def acme(two_orgs):
    two_orgs.agent.groups.add(Group.objects.get(name="Agents"))
    return victim(two_orgs.acme, two_orgs.maria, "acme")


def offered(url: str, method: str) -> bool:
    """Whether the route's view has `method` at all (for anyone)."""
    return method.upper() in resolve(url).func.view_class().allowed_methods


def expected(route: str, url: str, method: str) -> tuple[int, ...] | None:
    """The only answers allowed to another organization's admin, None: any (own data)."""
    if route.replace("^", "").startswith(ROLE_ROUTES):
        return (404,)
    if "(?P<" in route or "<" in route:
        return (404,) if offered(url, method) else (405,)
    return None


def test_the_walk_covers_the_api(acme):
    assert len(api_routes()) >= 30
    assert sum(r.replace("^", "").startswith(ROLE_ROUTES) for r in api_routes()) >= 20


def test_another_organizations_admin_gets_404_and_changes_nothing(two_orgs, acme):
    api = token_client(two_orgs.ana, scopes=["read", "write"])
    api.get("/api/v1/profile/")  # the token's last use is recorded (once a minute) first
    before, problems = snapshot(), []
    for route in api_routes():
        url = concrete(route, values_for(route, acme))
        for method in METHODS:
            response = getattr(api, method)(url, {}, format="json")
            body = b"" if response.streaming else response.content
            allowed = expected(route, url, method)
            if allowed is not None and response.status_code not in allowed:
                problems.append(f"{method} {url} -> {response.status_code}")
            if any(marker.encode() in body for marker in acme.markers):
                problems.append(f"{method} {url} shows the victim's data")
            if response.status_code >= 500:
                problems.append(f"{method} {url} -> {response.status_code}")
    assert not problems, "\n".join(problems)
    assert _changed(before, snapshot()) == []


@pytest.mark.parametrize("who", ["ana", "agent"])
def test_a_revoked_token_gets_401_everywhere(two_orgs, acme, who):
    user = getattr(two_orgs, who)
    api = token_client(user, scopes=["read", "write", "billing"] if user.is_staff
                       else ["read", "write"])
    token = user.api_tokens.get()
    api_tokens.api_token_revoke(user=user, token_id=token.pk)
    before, problems = snapshot(), []
    for route in api_routes():
        url = concrete(route, values_for(route, acme))
        for method in METHODS:
            response = getattr(api, method)(url, {}, format="json")
            if response.status_code != 401:
                problems.append(f"{method} {url} -> {response.status_code}")
            elif response.headers.get("WWW-Authenticate") != "Bearer":
                problems.append(f"{method} {url} without WWW-Authenticate")
    assert not problems, "\n".join(problems)
    assert _changed(before, snapshot()) == []
