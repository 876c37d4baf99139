"""Language, time zone, first-login and second-factor handling for signed-in users."""

import time
import zoneinfo

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

# The language chosen on the login page, kept for the session when it differs from the
# profile's (accounts.views.LoginView); the offer to save it shows on the next page only.
SESSION_LANGUAGE_KEY = "accounts:session_language"
LANGUAGE_OFFER_KEY = "accounts:language_offer"


def signed_in(request) -> bool:
    """request.user.is_authenticated, without reading the user (nor the session) when the
    request has no session at all: no session key means nobody is signed in
    (django.contrib.auth.get_user reads the user id from the session), so an anonymous
    request's lazy user is left to whatever needs it."""
    return request.session.session_key is not None and request.user.is_authenticated


class UserLanguageMiddleware:
    """The language chosen on the login page for this session, else the contact's profile
    language, wins over the browser's (runs after LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = ""
        if signed_in(request):
            language = (request.session.get(SESSION_LANGUAGE_KEY, "")
                        or getattr(request.user, "language", ""))
            request.language_offer = request.session.get(LANGUAGE_OFFER_KEY, "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # The offer is made on the first page actually shown (not on a redirect).
        if (getattr(request, "language_offer", "") and request.method == "GET"
                and response.status_code == 200):
            request.session.pop(LANGUAGE_OFFER_KEY, None)
        return response


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = getattr(request.user, "time_zone", "") if signed_in(request) else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name)) if tz_name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class FirstLoginMiddleware:
    """A contact confirms their contact details before anything else."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            signed_in(request)
            and getattr(request.user, "needs_details_confirmation", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            return redirect(reverse("accounts:confirm_details") + "?"
                            + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


class TwoFactorMiddleware:
    """A session whose login still needs its second factor (accounts.two_factor) reaches
    nothing but the two-factor pages, logout and static files; and a signed-in session
    refreshes its "last seen" on the profile page at most every SESSION_LAST_SEEN_SECONDS
    (one write then, none on the other requests)."""

    ALLOWED_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/accounts/language/",
                        "/static/", "/i18n/")
    LAST_SEEN_KEY = "accounts:last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.session_key is None:
            # Nobody signed in; the answer still depends on the session cookie, as
            # SessionMiddleware says when the user is read (Vary: Cookie) for shared caches.
            response = self.get_response(request)
            patch_vary_headers(response, ("Cookie",))
            return response
        if request.user.is_authenticated:
            from . import services, two_factor

            if two_factor.session_pending(request) and not request.path.startswith(
                    self.ALLOWED_PREFIXES):
                return redirect(reverse("accounts:two_factor_verify") + "?"
                                + urlencode({"next": request.get_full_path()}))
            now = int(time.time())
            if now - request.session.get(self.LAST_SEEN_KEY, 0) >= \
                    settings.SESSION_LAST_SEEN_SECONDS and request.session.session_key:
                request.session[self.LAST_SEEN_KEY] = now
                services.user_session_seen(session_key=request.session.session_key)
        return self.get_response(request)
