"""Sign-in with the vendor's customer portal: the OpenID Connect relying party.

mozilla-django-oidc runs the authorization code flow (state, nonce and PKCE kept in the
session, the code exchanged at the token endpoint, the ID token's signature checked against
the provider's JWKS). On top of it, this backend also verifies the ID token's audience,
issuer and lifetime (with at most settings.OIDC_CLOCK_SKEW_SECONDS of leeway) and decides who
may sign in:

- a verified email (claim email_verified true) of an existing, active contact signs them
  in; an unverified email never links to anybody;
- an unknown person whose organization claim (settings.OIDC_ORGANIZATION_CLAIM) is the
  portal_id of a known organization becomes its contact (settings.OIDC_NEW_CONTACTS:
  "create" signs them in, "approve" waits for staff to activate the contact);
- staff never sign in through the portal (they keep their password).

Every refusal is a PortalSignInRefused with a code; accounts.sso_views shows its page."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import services
from .models import Organization, User

logger = logging.getLogger("accounts.oidc")

# Session key: this session was opened through the portal (sign-out offers its end-session).
SSO_SESSION_KEY = "sso_signed_in"

# Each problem: (title, message, HTTP status). The page keeps the user on the site.
PROBLEMS = {
    "denied": (_("Sign-in cancelled"), _(
        "The customer portal did not let the support site use your account (the access was "
        "declined). You can try again, or sign in with your email and password."), 403),
    "provider_error": (_("The customer portal could not sign you in"), _(
        "The customer portal answered with an error. Please try again in a few minutes."),
        502),
    "state": (_("This sign-in has expired"), _(
        "This sign-in link has expired or was already used. Please start again."), 400),
    "expired": (_("This sign-in has expired"), _(
        "The customer portal did not accept this sign-in any more (it took too long or was "
        "already completed). Please start again."), 400),
    "invalid_token": (_("The sign-in could not be verified"), _(
        "The answer from the customer portal could not be verified, so you were not signed "
        "in. Please start again; if it happens again, contact support."), 400),
    "unavailable": (_("The customer portal is not answering"), _(
        "The customer portal is not answering right now. Please try again in a few minutes, "
        "or sign in with your email and password."), 502),
    "unverified_email": (_("Your email address is not verified"), _(
        "The email address of your portal account has not been verified. Verify it in the "
        "customer portal, then sign in again."), 403),
    "no_organization": (_("We could not find your organization"), _(
        "Your portal account is not linked to an organization we support here. Please ask "
        "your organization's admin to add you as a contact of the support site."), 403),
    "pending": (_("Your access is waiting for approval"), _(
        "Your contact was created and is waiting for approval by our support team. You can "
        "sign in with the portal as soon as it is activated."), 200),
    "inactive": (_("Your support account is not active"), _(
        "Your support account is not active. Please ask your organization's admin or our "
        "support team."), 403),
    "staff": (_("Staff sign in with their password"), _(
        "Staff accounts do not sign in through the customer portal. Please sign in with your "
        "email and password."), 403),
}


class PortalSignInRefused(Exception):
    """The provider's answer was valid but this person may not sign in (code: PROBLEMS).
    `locale`: the language the provider gave for them, if any (the page speaks it)."""

    def __init__(self, code: str, *, locale: str = ""):
        super().__init__(code)
        self.code, self.locale = code, locale


def _true(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def end_session_url(*, id_token: str, post_logout_redirect_uri: str) -> str:
    """The provider's end-session endpoint for this sign-in ("" when it has none)."""
    from urllib.parse import urlencode

    endpoint = settings.OIDC_OP_END_SESSION_ENDPOINT
    if not endpoint or not id_token:
        return ""
    query = urlencode({"id_token_hint": id_token, "client_id": settings.OIDC_RP_CLIENT_ID,
                       "post_logout_redirect_uri": post_logout_redirect_uri})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class PortalBackend(OIDCAuthenticationBackend):
    """Answers only the callback request of an enabled portal sign-in; no permissions of its
    own (accounts.backends.EmailBackend answers those, with its cache)."""

    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ENABLED or request is None \
                or request.path != reverse("sso:callback"):
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        """Django's rule (the library's would keep a deactivated contact signed in)."""
        return ModelBackend.get_user(self, user_id)

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def verify_token(self, token, **kwargs):
        try:
            return super().verify_token(token, **kwargs)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as error:
            raise SuspiciousOperation(f"ID token refused: {error!r}") from error

    def _verify_jws(self, payload, key):
        """The library checks the signature and expiry; also the audience (our client id,
        and azp when there are several), the issuer, and the clock skew."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token algorithm {algorithm!r} refused")
        try:
            claims = jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID, issuer=settings.OIDC_OP_ISSUER,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 \
                and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences without our azp")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):  # OpenID Connect Core 5.3.2
            raise PortalSignInRefused("invalid_token")
        claims = {**payload, **userinfo}
        locale = str(claims.get("locale") or "")[:2].lower()
        email = str(claims.get("email") or "").strip().lower()
        if not email or not _true(claims.get("email_verified")):
            raise PortalSignInRefused("unverified_email", locale=locale)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = self._contact_create(claims, email=email, locale=locale)
        if user.is_staff:
            raise PortalSignInRefused("staff", locale=locale)
        if not user.is_active:
            # Created by a first portal sign-in and not activated by staff yet: still pending.
            waiting = user.last_login is None and not user.has_usable_password()
            raise PortalSignInRefused("pending" if waiting else "inactive", locale=locale)
        logger.info("Portal sign-in of %s", email)
        return user

    def _contact_create(self, claims: dict, *, email: str, locale: str) -> User:
        reference = claims.get(settings.OIDC_ORGANIZATION_CLAIM)
        reference = str(reference).strip() if isinstance(reference, str | int) else ""
        organization = (Organization.objects.filter(portal_id=reference).first()
                        if reference else None)
        if organization is None:
            logger.warning("Portal sign-in of %s refused: no organization with portal ID %r",
                           email, reference)
            raise PortalSignInRefused("no_organization", locale=locale)
        active = settings.OIDC_NEW_CONTACTS == "create"
        try:
            user = services.contact_portal_create(
                email=email, full_name=str(claims.get("name") or ""),
                organization_id=organization.pk, active=active)
        except IntegrityError:  # the same person's first sign-in in another tab, just now
            return User.objects.get(email=email)
        logger.info("Portal sign-in created the contact %s in %s%s", email, organization,
                    "" if active else " (waiting for approval)")
        if not active:
            raise PortalSignInRefused("pending", locale=locale)
        return user
