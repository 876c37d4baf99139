"""Authentication of API requests: `Authorization: Bearer hd_…` (a personal access token,
accounts.api_tokens) or the browser's session (with CSRF on writes)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import api_tokens

TOKEN_INVALID = _("Invalid or revoked token.")
KEYWORD = "Bearer"


def activate_user_language(request, user) -> None:
    """A token's requests are answered in its user's language (the session's get it from
    accounts.middleware.UserLanguageMiddleware)."""
    if getattr(user, "language", ""):
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID)
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID) from error
        token = api_tokens.api_token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID)
        activate_user_language(request, token.user)
        return token.user, token

    def authenticate_header(self, request):
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "helpdesk.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal access token (profile page): `hd_…`."}
