"""manage.py create_api_token prints a working token once."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_printed_token_works(two_orgs):
    out = io.StringIO()
    call_command("create_api_token", "--email", "MARIA@acme.example", "--name", "curl",
                 "--scope", "read", stdout=out)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    assert api.get("/api/v1/profile/").json()["email"] == "maria@acme.example"
    with pytest.raises(CommandError):
        call_command("create_api_token", "--email", "maria@acme.example", "--name", "x",
                     "--scope", "billing", stdout=io.StringIO())
