"""Who may call an endpoint: the token's scopes (read for reading, write for changes,
billing for the billing endpoints), and the kind of user (contact, agent, billing staff).
Which objects: always the apps' selectors and tickets.access (404 for the rest).

The agents' and the billing endpoints answer a signed-in caller who is not an agent (not
billing staff) 404, exactly like a page that does not exist: a customer's token learns
nothing from them. Their role is checked before the token's scopes (an agent whose token
lacks a scope gets 403)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from accounts.models import ApiToken

SCOPE_MISSING = _("This token's scopes do not allow this request.")
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


class RoleRequired(permissions.BasePermission):
    """Anonymous: refused (401 from IsAuthenticated, listed before). Signed in without the
    role: 404, as for a page that does not exist."""

    def has_role(self, user, view) -> bool:
        raise NotImplementedError

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not self.has_role(user, view):
            raise exceptions.NotFound
        return True


class IsAgent(RoleRequired):
    """Staff with the Agents group's permissions (tickets.agents_group)."""

    def has_role(self, user, view) -> bool:
        return bool(user.is_staff and user.has_perm("tickets.view_ticket"))


class IsBillingStaff(RoleRequired):
    """Staff with the view's `billing_perm`; the request also needs a token with the billing
    scope (TokenScope, helpdesk.api.billing.BillingPermission: else 403)."""

    def has_role(self, user, view) -> bool:
        return bool(user.is_staff and user.has_perm(view.billing_perm))


def role_first(role, *others) -> list:
    """The default classes (IsAuthenticated, TokenScope) with `role` checked right after
    authentication, then `others`."""
    return [permissions.IsAuthenticated, role, TokenScope, *others]
