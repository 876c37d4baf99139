"""API clients: a personal access token per person (accounts.api_tokens), sent as a Bearer
header by DRF's test client."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts import api_tokens


def token_client(user, scopes=("read", "write")) -> APIClient:
    _token, secret = api_tokens.api_token_create(user=user, name="tests", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.secret = secret
    return client


@pytest.fixture
def api_for():
    return token_client
