"""Print the environment lines for sign-in with the customer portal from the provider's
discovery document, to paste into the production environment file:

    manage.py oidc_discover https://portal.example.com

reads https://portal.example.com/.well-known/openid-configuration (an issuer given with a
path, e.g. https://portal.example.com/o, is read under that path) and checks that it
supports what the helpdesk uses (authorization code, PKCE S256, RS256 ID tokens)."""

from __future__ import annotations

import requests
from django.core.management.base import BaseCommand, CommandError

ENV_FROM_DISCOVERY = (
    ("OIDC_OP_ISSUER", "issuer"),
    ("OIDC_OP_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
    ("OIDC_OP_TOKEN_ENDPOINT", "token_endpoint"),
    ("OIDC_OP_USER_ENDPOINT", "userinfo_endpoint"),
    ("OIDC_OP_JWKS_ENDPOINT", "jwks_uri"),
    ("OIDC_OP_END_SESSION_ENDPOINT", "end_session_endpoint"),
)
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
            "jwks_uri")


class Command(BaseCommand):
    help = ("Print the OIDC_OP_* environment lines from the customer portal's OpenID Connect "
            "discovery document (ISSUER/.well-known/openid-configuration).")

    def add_arguments(self, parser):
        parser.add_argument("issuer")

    def handle(self, *args, issuer: str, **options):
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise CommandError(f"{url}: {error}") from error
        missing = [name for name in REQUIRED if not document.get(name)]
        if missing:
            raise CommandError(f"{url} lacks {', '.join(missing)}")
        for warning in _unsupported(document):
            self.stderr.write(f"warning: {warning}")
        for variable, name in ENV_FROM_DISCOVERY:
            value = document.get(name, "")
            self.stdout.write(f"{variable}={value}" if value else f"# {variable}= (none)")


def _unsupported(document: dict) -> list[str]:
    problems = []
    if "S256" not in document.get("code_challenge_methods_supported", ["S256"]):
        problems.append("the provider does not list PKCE S256")
    if "RS256" not in document.get("id_token_signing_alg_values_supported", ["RS256"]):
        problems.append("the provider does not sign ID tokens with RS256 "
                        "(set OIDC_RP_SIGN_ALGO)")
    if "code" not in document.get("response_types_supported", ["code"]):
        problems.append("the provider does not list the authorization code flow")
    return problems
