"""Business actions on organizations and contacts."""

from django.db import transaction
from django.utils import timezone

from .models import User


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
