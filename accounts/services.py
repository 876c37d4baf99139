"""Business actions on organizations and contacts, and on account security."""

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp import verify_token as otp_verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import throttle
from .exceptions import AccountsError
from .models import SecurityEvent, User, UserSession

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def contact_details_confirm(*, user: User, full_name: str, phone: str, job_title: str,
                            language: str, time_zone: str) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.full_name, user.phone, user.job_title = full_name, phone, job_title
        user.language, user.time_zone = language, time_zone
        user.details_confirmed_at = user.details_confirmed_at or timezone.now()
        user.save()
    return user


def contact_language_set(*, user: User, language: str) -> User:
    """The contact's chosen language (wins over the browser's on every page)."""
    if language not in dict(User.Language.choices):
        raise ValueError(f"Unsupported language: {language!r}")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


def user_browser_language_record(*, user: User, language: str) -> User:
    """The browser's language at a sign-in (what emails follow while the user has chosen
    none); one UPDATE, only when it changed. A language the site does not offer is ignored."""
    if language in dict(User.Language.choices) and language != user.browser_language:
        User.objects.filter(pk=user.pk).update(browser_language=language)
        user.browser_language = language
    return user


class OrganizationNotFound(Exception):
    """contact_create: no organization of that name (and creating one was not asked for)."""


def contact_create(*, email: str, password: str | None, organization_name: str,
                   full_name: str = "", role: str = User.Role.CONTACT,
                   details_confirmed: bool = False, create_organization: bool = False) -> User:
    """A customer contact in the named organization, which must exist unless
    create_organization (a mistyped name must not silently make a new tenant:
    OrganizationNotFound). The password must pass AUTH_PASSWORD_VALIDATORS (ValidationError);
    no password: an unusable one (the contact sets theirs through "forgot password"). Not
    confirmed: the contact confirms their details on first login."""
    from django.contrib.auth.password_validation import validate_password

    from .models import Organization

    name = organization_name.strip()
    if password is not None:
        validate_password(password, user=User(email=email, full_name=full_name.strip()))
    with transaction.atomic():
        if create_organization:
            organization, _ = Organization.objects.get_or_create(name=name)
        else:
            organization = Organization.objects.filter(name=name).first()
            if organization is None:
                raise OrganizationNotFound(name)
        user = User.objects.create_user(
            email=email, password=password, organization=organization, role=role,
            full_name=full_name.strip(),
            details_confirmed_at=timezone.now() if details_confirmed else None)
    return user


def contact_portal_create(*, email: str, full_name: str, organization_id: int,
                          active: bool) -> User:
    """A contact created on the first sign-in of a person of a known organization through
    the customer portal (accounts.oidc): no usable password (they sign in with the portal,
    or set one through "forgot password"), details to confirm on first login. `active`
    False: waits for staff to activate it in the admin (settings.OIDC_NEW_CONTACTS
    "approve"). The admin history of the contact records how it was created."""
    from django.contrib.admin.models import ADDITION, LogEntry

    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=None, organization_id=organization_id,
            full_name=full_name.strip()[:200], is_active=active)
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=[user], action_flag=ADDITION,
            change_message=PORTAL_CREATED if active else PORTAL_CREATED_INACTIVE,
            single_object=True)
    return user


PORTAL_CREATED = "Created on a first sign-in with the customer portal."
PORTAL_CREATED_INACTIVE = ("Created on a first sign-in with the customer portal; "
                           "waits for staff to activate it.")
# --- account security: audit events, lockouts, two-factor, signed-in sessions ----------------

def security_event_record(*, kind: str, user: User | None = None, email: str = "",
                          ip: str = "", user_agent: str = "", actor: User | None = None
                          ) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind, user=user, email=(email or (user.email if user else ""))[:254],
        ip=(ip or "")[:64], user_agent=(user_agent or "")[:300], actor=actor)


def login_unlock(*, email: str, ip: str, actor: User) -> SecurityEvent:
    """Staff lift the lockout of one (address, client IP) pair; audited."""
    throttle.login_failures_reset(email=email, ip=ip)
    return security_event_record(kind=SecurityEvent.Kind.LOGIN_UNLOCKED, email=email, ip=ip,
                                 actor=actor)


def _recovery_codes_new(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def two_factor_enable(*, user: User, key: str, token: str, ip: str = ""
                      ) -> tuple[TOTPDevice, list[str]] | None:
    """Save the authenticator whose secret `key` (hex) the user scanned, once they type a
    code it shows; (device, the recovery codes, shown once) or None when the code is wrong.
    Any earlier authenticator is replaced. Nothing is stored before the code is right."""
    device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    token = "".join((token or "").split())
    if not token.isdigit() or not totp.verify(int(token), tolerance=device.tolerance):
        return None
    device.last_t, device.drift = totp.t(), totp.drift  # this code is used up
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device.save()
        codes = _recovery_codes_new(user=user)
        security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_ENABLED, user=user, ip=ip,
                              actor=user)
    return device, codes


def recovery_codes_renew(*, user: User, ip: str = "") -> list[str]:
    with transaction.atomic():
        codes = _recovery_codes_new(user=user)
        security_event_record(kind=SecurityEvent.Kind.RECOVERY_CODES_NEW, user=user, ip=ip,
                              actor=user)
    return codes


def two_factor_disable(*, user: User, ip: str = "") -> None:
    """Customers may turn two-factor authentication off; staff may not (it is required)."""
    from .two_factor import TWO_FACTOR_REQUIRED_ERROR, two_factor_required

    if two_factor_required(user):
        raise AccountsError(TWO_FACTOR_REQUIRED_ERROR)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_DISABLED, user=user, ip=ip,
                              actor=user)


def two_factor_token_check(*, user: User, token: str, ip: str = ""):
    """The confirmed device (authenticator or recovery codes) that accepts the code, or
    None; a recovery code is used up; both outcomes are audited."""
    token = "".join((token or "").split()).lower()
    for device in devices_for_user(user, confirmed=True):
        matched = otp_verify_token(user, device.persistent_id, token)
        if matched is not None:
            if isinstance(matched, StaticDevice):
                security_event_record(kind=SecurityEvent.Kind.RECOVERY_CODE_USED, user=user,
                                      ip=ip)
            return matched
    security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_FAILED, user=user, ip=ip)
    return None


def user_session_start(*, user: User, session_key: str, ip: str, user_agent: str
                       ) -> UserSession:
    now = timezone.now()
    session, _created = UserSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "ip": ip[:64],
                                           "user_agent": user_agent[:300],
                                           "created_at": now, "last_seen_at": now})
    return session


def user_session_rekey(*, old_key: str | None, new_key: str) -> None:
    """The session's key changed (cycle_key at a password change or a second factor)."""
    if old_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def user_session_seen(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key).update(last_seen_at=timezone.now())


def user_session_end(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key).delete()


def user_sessions_sign_out(*, user: User, keep_session_key: str | None, ip: str = "",
                           actor: User | None = None) -> int:
    """Sign the user out of every session but `keep_session_key` (None: all of them): each
    session is deleted from the session store (the database, and Redis when it answers;
    accounts.sessions), so the next request of that browser is anonymous."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or ""))
    for row in rows:
        store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    security_event_record(kind=SecurityEvent.Kind.SESSIONS_ENDED, user=user, ip=ip,
                          actor=actor or user)
    return len(rows)


def password_changed(*, user: User, old_session_key: str | None, new_session_key: str,
                     ip: str = "") -> None:
    """After a password change (the session key already renewed): the index follows the
    new key, every other session is ended, and the change is audited."""
    user_session_rekey(old_key=old_session_key, new_key=new_session_key)
    user_sessions_sign_out(user=user, keep_session_key=new_session_key, ip=ip)
    security_event_record(kind=SecurityEvent.Kind.PASSWORD_CHANGED, user=user, ip=ip,
                          actor=user)


def user_sessions_prune() -> int:
    """Index rows whose session is gone or expired (the session list never shows them)."""
    from django.contrib.sessions.models import Session

    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    deleted, _ = UserSession.objects.exclude(session_key__in=live).delete()
    return deleted
