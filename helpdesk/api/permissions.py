"""Who may call an endpoint: the token's scopes (read for reading, write for changes,
billing for the billing endpoints), and the kind of user (contact, agent, billing staff).
Which objects: always the apps' selectors and tickets.access (404 for the rest)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.models import ApiToken

SCOPE_MISSING = _("This token's scopes do not allow this request.")
AGENTS_ONLY = _("Only agents may use this endpoint.")
BILLING_ONLY = _("Only staff with the billing scope may use this endpoint.")
CONTACTS_ONLY = _("Only contacts of an organization may use this endpoint.")


def token_scopes(request) -> set[str] | None:
    """The scopes of the request's token; None for a session (the user's own rights)."""
    token = request.auth
    return set(token.scopes) if isinstance(token, ApiToken) else None


class TokenScope(permissions.BasePermission):
    """read for safe methods, write for the others; billing views ask for billing."""

    message = SCOPE_MISSING

    def has_permission(self, request, view):
        scopes = token_scopes(request)
        if scopes is None:
            return True
        if getattr(view, "required_scope", None) == ApiToken.Scope.BILLING:
            return ApiToken.Scope.BILLING in scopes
        if request.method in permissions.SAFE_METHODS:
            return bool(scopes & {ApiToken.Scope.READ, ApiToken.Scope.WRITE})
        return ApiToken.Scope.WRITE in scopes


class IsContact(permissions.BasePermission):
    message = CONTACTS_ONLY

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not user.is_staff
                    and user.organization_id is not None)


class IsAgent(permissions.BasePermission):
    """Staff with the Agents group's permissions (tickets.agents_group)."""

    message = AGENTS_ONLY

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff
                    and user.has_perm("tickets.view_ticket"))


class IsBillingStaff(permissions.BasePermission):
    """Staff allowed to book credits; a token also needs the billing scope (TokenScope)."""

    message = BILLING_ONLY

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff
                    and user.has_perm("credits.add_ledgerentry"))
