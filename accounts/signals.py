"""Login and logout: the second-factor mark on the session, and the user's sessions index."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.utils import translation

from . import services, two_factor
from .client_ip import client_ip
from .middleware import TwoFactorMiddleware

LAST_SEEN_KEY = TwoFactorMiddleware.LAST_SEEN_KEY


def _on_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    two_factor.session_mark_at_login(request, user)
    request.session[LAST_SEEN_KEY] = int(time.time())  # the row below is "seen" now
    if not request.session.session_key:  # login() flushed another user's session
        request.session.save()
    services.user_session_start(user=user, session_key=request.session.session_key,
                                ip=client_ip(request),
                                user_agent=request.META.get("HTTP_USER_AGENT", ""))
    services.user_browser_language_record(
        user=user, language=translation.get_language_from_request(request))


def _on_logout(sender, request, user, **kwargs) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        services.user_session_end(session_key=key)


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="accounts.login")
    user_logged_out.connect(_on_logout, dispatch_uid="accounts.logout")
