"""Every /api/v1/ route (walked from the resolver: a new one cannot be forgotten), by every
method, with a token of another organization's admin and with a revoked token: a route that
names the victim's objects answers 404 (exactly like a missing one), the others refuse or
answer with the caller's own data; a revoked token gets 401 everywhere; nothing changes in
the database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

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


def api_routes() -> list[str]:
    return [r for r in routes() if r.replace("^", "").startswith("api/v1/")
            and r.replace("^", "") not in PUBLIC]


@pytest.fixture
def acme(two_orgs):
    two_orgs.agent.groups.add(Group.objects.get(name="Agents"))
    return victim(two_orgs.acme, two_orgs.maria, "acme")


def test_the_walk_covers_the_api(acme):
    assert len(api_routes()) >= 30


def test_another_organizations_admin_gets_404_and_changes_nothing(two_orgs, acme):
    api = token_client(two_orgs.ana, scopes=["read", "write"])
    api.get("/api/v1/profile/")  # the token's last use is recorded (once a minute) first
    before, problems = snapshot(), []
    for route in api_routes():
        url = concrete(route, values_for(route, acme))
        names_objects = "(?P<" in route or "<" in route
        for method in METHODS:
            response = getattr(api, method)(url, {}, format="json")
            body = b"" if response.streaming else response.content
            if names_objects and response.status_code not in (403, 404, 405):
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
