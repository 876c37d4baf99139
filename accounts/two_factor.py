"""Who must pass a second factor, and where a signed-in user stands with it.

Staff, superusers and members of settings.TWO_FACTOR_REQUIRED_GROUPS ("Agents") must use
two-factor authentication (TOTP, django-otp, with one-time recovery codes): they cannot
reach the admin until they have enrolled an authenticator, and every login asks for a code.
Customers may turn it on (profile page); then every login of theirs asks for a code too.

At login (user_logged_in) the session is marked "second factor pending" when the user needs
one; accounts.middleware.TwoFactorMiddleware then sends every request to the verification
page (or the enrolment page, for staff without an authenticator) until a code is accepted.
The mark is computed once per login, so requests after it cost no query of their own.
The admin checks again (helpdesk.admin_site): a session that became staff later still needs
a verified device there.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_SESSION_KEY = "accounts:two_factor_pending"
TWO_FACTOR_REQUIRED_ERROR = _("Two-factor authentication is required for staff accounts: "
                              "it cannot be turned off.")
WRONG_CODE = _("That code is not valid. Enter the current 6-digit code from your "
               "authenticator app, or one of your recovery codes.")


def two_factor_required(user) -> bool:
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or user.groups.filter(
        name__in=settings.TWO_FACTOR_REQUIRED_GROUPS).exists())


def two_factor_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_mark_at_login(request, user) -> None:
    """Ask for the second factor on this session if the user needs one."""
    if two_factor_required(user) or two_factor_enrolled(user):
        request.session[PENDING_SESSION_KEY] = True
    else:
        request.session.pop(PENDING_SESSION_KEY, None)


def session_pending(request) -> bool:
    return bool(request.session.get(PENDING_SESSION_KEY))


def session_passed(request) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def admin_allowed(request) -> bool:
    """The admin's own check: a user who must use two factors has passed one."""
    user = request.user
    if session_pending(request):
        return False
    return not two_factor_required(user) or user.is_verified()
