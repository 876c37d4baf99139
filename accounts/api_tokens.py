"""Personal access tokens for the REST API: create (the secret is returned once), revoke,
authenticate. Only a SHA-256 of the secret is stored (the secret is 256 random bits: a slow
password hash would add nothing but latency). A token reads `hd_<prefix>_<secret>`: the
prefix finds the row, the hash is compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exceptions import AccountsError
from .models import ApiToken, SecurityEvent, User

TOKEN_PREFIX = "hd_"
MAX_ACTIVE_TOKENS = 20
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write a minute per token

TOKEN_NAME_REQUIRED = _("Please give the token a name.")
TOKEN_SCOPES_REQUIRED = _("Choose at least one scope.")
TOKEN_SCOPE_BILLING_STAFF = _("Only staff tokens may have the billing scope.")
TOKEN_TOO_MANY = _("You have too many active tokens: revoke one first.")
TOKEN_NOT_FOUND = _("This token does not exist or is already revoked.")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _parse(raw: str) -> tuple[str, str] | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = raw[len(TOKEN_PREFIX):].partition("_")
    if not sep or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def api_token_problems(*, user: User, name: str, scopes: list[str]) -> list:
    problems = []
    if not name.strip():
        problems.append(TOKEN_NAME_REQUIRED)
    if not scopes or any(s not in ApiToken.Scope.values for s in scopes):
        problems.append(TOKEN_SCOPES_REQUIRED)
    if ApiToken.Scope.BILLING in scopes and not user.is_staff:
        problems.append(TOKEN_SCOPE_BILLING_STAFF)
    if ApiToken.objects.filter(user=user, revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        problems.append(TOKEN_TOO_MANY)
    return problems


def api_token_create(*, user: User, name: str, scopes: list[str], ip: str = ""
                     ) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once, never stored). Audited."""
    from .services import security_event_record

    scopes = sorted(set(scopes))
    problems = api_token_problems(user=user, name=name, scopes=scopes)
    if problems:
        raise AccountsError(*problems)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name.strip()[:100], prefix=prefix,
                                        key_hash=_hash(secret), scopes=scopes)
        security_event_record(kind=SecurityEvent.Kind.API_TOKEN_CREATED, user=user, ip=ip,
                              actor=user)
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_token_revoke(*, user: User, token_id: int, ip: str = "") -> ApiToken:
    """The user's own active token stops working at once. Audited."""
    from .services import security_event_record

    with transaction.atomic():
        token = (ApiToken.objects.select_for_update()
                 .filter(pk=token_id, user=user, revoked_at=None).first())
        if token is None:
            raise AccountsError(TOKEN_NOT_FOUND)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_event_record(kind=SecurityEvent.Kind.API_TOKEN_REVOKED, user=user, ip=ip,
                              actor=user)
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token `raw` names, with its active user; None for anything else. Records
    the last use (at most once a minute)."""
    parsed = _parse(raw.strip())
    if parsed is None:
        return None
    prefix, secret = parsed
    token = (ApiToken.objects.select_related("user")
             .filter(prefix=prefix, revoked_at=None, user__is_active=True).first())
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at"))
