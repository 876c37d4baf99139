"""The OpenAPI 3.1 schema: generated without a warning and valid, for signed-in callers
only; Swagger UI from our static files under the strict CSP."""

from __future__ import annotations

import pytest
import yaml
from csp.utils import build_policy
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_spectacular_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.1")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "404", "500"} <= codes, (method, path, codes)
            assert all(response.get("content") or code in ("204", "302")
                       for code, response in operation["responses"].items()), (method, path)


def test_the_schema_needs_a_signed_in_caller(client, two_orgs, api_for):
    assert client.get("/api/v1/schema/").status_code == 401
    assert client.get("/api/schema/").status_code == 401
    assert api_for(two_orgs.juan).get("/api/v1/schema/").status_code == 200


def test_docs_are_served_from_our_static_files(client, two_orgs):
    assert client.get("/api/v1/docs/").status_code == 302  # to the login page
    client.force_login(two_orgs.juan)
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "style=" not in html and "http" not in html.lower()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # Swagger UI's data: icons, as django-csp's csp_update built it (helpdesk.middleware)
    assert response.headers["Content-Security-Policy"] == build_policy(
        update={"img-src": ["'self'", "data:"]})
