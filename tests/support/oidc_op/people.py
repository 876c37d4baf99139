"""The provider's people, read from people.json on every request (the tests add people while
it runs), and the claims it gives about them.

people.json: {"<user name>": {"password": "...", "email": "...", "email_verified": true,
"name": "...", "organization": "<portal ID>", "locale": "es", "tamper": {...}}}.
"tamper" makes the provider misbehave for that person: {"aud": "other-client"},
{"nonce": "forged"}, {"iss": "https://elsewhere"}, {"exp_offset_seconds": -3600} change
the ID token's claims (signed again, correctly); {"signature": true} breaks its signature."""

import json
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from jwcrypto import jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

STANDARD_CLAIMS = ("email", "email_verified", "name", "locale")


def people() -> dict:
    return json.loads(settings.PEOPLE_FILE.read_text()) if settings.PEOPLE_FILE.exists() else {}


class PeopleBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        person = people().get(username or "")
        if person is None or person.get("password") != password:
            return None
        user, _ = User.objects.get_or_create(username=username)
        return user


class PeopleValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "organization": "profile",
                        "locale": "profile"}

    def get_additional_claims(self, request):
        person = people().get(request.user.username, {})
        claims = {name: person[name] for name in STANDARD_CLAIMS if name in person}
        if person.get("organization"):
            claims["organization"] = person["organization"]
        return claims

    def finalize_id_token(self, id_token, token, token_handler, request):
        serialized = super().finalize_id_token(id_token, token, token_handler, request)
        tamper = people().get(request.user.username, {}).get("tamper") or {}
        if tamper.get("signature"):
            head, body, signature = serialized.split(".")
            return ".".join((head, body, signature[:-6] + ("AAAAAA" if signature[-6:] != "AAAAAA"
                                                           else "BBBBBB")))
        if not tamper:
            return serialized
        parsed = jwt.JWT(jwt=serialized, key=request.client.jwk_key)
        claims = json.loads(parsed.claims)
        for name in ("aud", "nonce", "iss"):
            if name in tamper:
                claims[name] = tamper[name]
        if "exp_offset_seconds" in tamper:
            claims["exp"] = int(time.time()) + tamper["exp_offset_seconds"]
            claims["iat"] = claims["exp"] - 300
        forged = jwt.JWT(header=parsed.header, claims=json.dumps(claims))
        forged.make_signed_token(request.client.jwk_key)
        return forged.serialize()
