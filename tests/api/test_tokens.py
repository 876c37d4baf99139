"""Personal access tokens: created and revoked on the profile page, shown once, stored as a
hash, last use recorded, scopes bounded (billing for staff only)."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from accounts import api_tokens
from accounts.exceptions import AccountsError
from accounts.models import ApiToken, SecurityEvent

pytestmark = pytest.mark.django_db


def test_profile_creates_a_token_shown_once_and_revokes_it(client, two_orgs):
    client.force_login(two_orgs.juan)
    page = client.get("/accounts/profile/").content.decode()
    assert "api-tokens" in page and 'value="billing"' not in page
    response = client.post("/accounts/profile/tokens/", {"name": "Nagios", "scopes": ["read"]})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=two_orgs.juan)
    secret = response.context["secret"]
    assert secret.startswith(f"hd_{token.prefix}_") and secret in response.content.decode()
    assert token.key_hash == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert secret not in client.get("/accounts/profile/").content.decode()

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/profile/").json()["email"] == two_orgs.juan.email
    token.refresh_from_db()
    assert token.last_used_at is not None

    client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/profile/").status_code == 401
    assert set(SecurityEvent.objects.filter(user=two_orgs.juan).values_list("kind", flat=True)
               ) == {"token_created", "token_revoked"}


def test_a_bad_form_is_answered_with_its_errors(client, two_orgs):
    client.force_login(two_orgs.juan)
    response = client.post("/accounts/profile/tokens/", {"name": "x", "scopes": ["billing"]})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_billing_scope_is_for_staff_and_revoking_is_for_the_owner(two_orgs):
    with pytest.raises(AccountsError):
        api_tokens.api_token_create(user=two_orgs.juan, name="b", scopes=["billing"])
    token, _secret = api_tokens.api_token_create(user=two_orgs.agent, name="b",
                                                 scopes=["billing"])
    with pytest.raises(AccountsError):
        api_tokens.api_token_revoke(user=two_orgs.juan, token_id=token.pk)


@pytest.mark.parametrize("header", ["Bearer", "Bearer hd_x", "Bearer nothing-like-it",
                                    "Bearer hd_abc_def ghi"])
def test_malformed_tokens_are_401(header, two_orgs):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/profile/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["type"] == "client_error"


def test_throttled_requests_get_retry_after(settings, monkeypatch, two_orgs, api_for):
    from django.core.cache import caches

    from helpdesk.api.throttles import ApiRateThrottle

    # DRF reads the rates when the class is defined: set them on it.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api": "2/minute",
                                                            "api_user": "100/minute"})
    caches[settings.API_THROTTLE_CACHE].clear()
    api = api_for(two_orgs.juan)
    codes = [api.get("/api/v1/profile/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert int(api.get("/api/v1/profile/").headers["Retry-After"]) > 0
    other = api_for(two_orgs.maria)
    assert other.get("/api/v1/profile/").status_code == 200  # its own budget
