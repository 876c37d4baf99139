"""A real OpenID Connect provider on 127.0.0.1 for the portal sign-in tests: the Django project
in tests/support/oidc_op (django-oauth-toolkit) in a process of its own, with its own SQLite
database and a fresh RSA key. `oidc_provider` (session fixture) starts it once per run;
`OidcProvider.sign_in` plays the person's browser at the provider with `requests`."""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.support.procs import ROOT, Processes, free_port, wait_until

CLIENT_ID = "helpdesk"
CLIENT_SECRET = "helpdesk-client-secret-for-tests"
# The same site registered a second time, asking the person's consent every time.
CONSENT_CLIENT_ID = "helpdesk-consent"
# Loopback IPs match on any port (RFC 8252); "localhost" too (ALLOW_LOCALHOST_LOOPBACK).
SITES = ("http://testserver", "http://127.0.0.1", "http://localhost")
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


class OidcProvider:
    def __init__(self, directory: Path, processes: Processes):
        self.directory, self.processes = directory, processes
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.base_url}/o"
        self.process = None

    def start(self) -> OidcProvider:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "key.pem").write_text(_private_key_pem())
        (self.directory / "people.json").write_text("{}")
        clients = [{"client_id": client_id, "client_secret": CLIENT_SECRET,
                    "redirect_uris": [f"{site}/sso/callback/" for site in SITES],
                    "post_logout_redirect_uris": [f"{site}/accounts/login/" for site in SITES],
                    "skip_authorization": client_id == CLIENT_ID}
                   for client_id in (CLIENT_ID, CONSENT_CLIENT_ID)]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.oidc_op.settings",
               "OIDC_OP_DIR": str(self.directory), "OIDC_OP_BASE_URL": self.base_url,
               "OIDC_OP_CLIENTS": json.dumps(clients), "PYTHONPATH": str(ROOT)}
        self.process = self.processes.start(
            [sys.executable, "-m", "tests.support.oidc_op.serve", str(self.port)],
            env=env, name="oidc-provider")
        wait_until(self._answers, timeout=60, interval=0.2, what="the OIDC provider")
        return self

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.process.log_path.read_text()[-3000:]
        try:
            return requests.get(self.discovery_url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def person_add(self, username: str, *, password: str = "portal-pass-1357", **claims) -> str:
        """A person of the portal (claims: email, email_verified, name, organization, locale,
        tamper: see tests/support/oidc_op/people.py). Returns the password."""
        path = self.directory / "people.json"
        people = json.loads(path.read_text())
        people[username] = {"password": password, **claims}
        path.write_text(json.dumps(people))
        return password

    def rp_settings(self, *, client_id: str = CLIENT_ID) -> dict:
        """The helpdesk's settings for this provider (as from the discovery document)."""
        discovery = requests.get(self.discovery_url, timeout=5).json()
        return {
            "OIDC_ENABLED": True, "OIDC_RP_CLIENT_ID": client_id,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET, "OIDC_OP_ISSUER": discovery["issuer"],
            "OIDC_OP_AUTHORIZATION_ENDPOINT": discovery["authorization_endpoint"],
            "OIDC_OP_TOKEN_ENDPOINT": discovery["token_endpoint"],
            "OIDC_OP_USER_ENDPOINT": discovery["userinfo_endpoint"],
            "OIDC_OP_JWKS_ENDPOINT": discovery["jwks_uri"],
            "OIDC_OP_END_SESSION_ENDPOINT": discovery.get("end_session_endpoint", ""),
        }

    def sign_in(self, authorize_url: str, *, username: str, password: str,
                allow: bool = True) -> str:
        """The person's browser at the provider: from the authorization request to the
        redirect back to the site (returned, not followed): sign in on the portal's login
        page, then (a client asking consent) allow or decline."""
        browser = requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        login_url = urljoin(self.base_url, response.headers["Location"])
        page = browser.get(login_url, timeout=10)
        next_url = html.unescape(dict(HIDDEN_INPUT.findall(page.text))["next"])
        response = browser.post(login_url, allow_redirects=False, timeout=10, data={
            "csrfmiddlewaretoken": browser.cookies["portal_csrftoken"], "username": username,
            "password": password, "next": next_url}, headers={"Referer": login_url})
        assert response.status_code == 302, f"portal login refused: {response.text[:300]}"
        response = browser.get(urljoin(self.base_url, response.headers["Location"]),
                               allow_redirects=False, timeout=10)
        if response.status_code == 200:  # the consent page
            fields = {name: html.unescape(value)
                      for name, value in HIDDEN_INPUT.findall(response.text)}
            fields.update({"allow": "Authorize"} if allow else {"cancel": "Decline"})
            response = browser.post(response.url, data=fields, allow_redirects=False,
                                    timeout=10, headers={"Referer": response.url})
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The provider, started once for the test run (no service needed: SQLite of its own)."""
    directory = tmp_path_factory.mktemp("oidc-provider")
    processes = Processes(directory / "logs")
    try:
        yield OidcProvider(directory / "state", processes).start()
    finally:
        processes.stop_all()
