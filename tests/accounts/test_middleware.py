"""The signed-in users' middleware (accounts.middleware) reads neither the user nor the
session of a request that has no session: nobody can be signed in without one."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse

from accounts.middleware import (
    FirstLoginMiddleware,
    TwoFactorMiddleware,
    UserLanguageMiddleware,
    UserTimezoneMiddleware,
    signed_in,
)

MIDDLEWARE = (TwoFactorMiddleware, UserLanguageMiddleware, UserTimezoneMiddleware,
              FirstLoginMiddleware)


class Unread:
    """A request.user that fails the test when anything reads it."""

    def __getattr__(self, name):
        raise AssertionError(f"request.user.{name} read")


def view(request):
    return HttpResponse("ok")


@pytest.mark.parametrize("middleware", MIDDLEWARE, ids=lambda cls: cls.__name__)
def test_a_request_without_a_session_reads_no_user(rf, middleware):
    request = rf.get("/tickets/")
    request.session, request.user = SessionStore(), Unread()
    assert middleware(view)(request).status_code == 200


def test_with_a_session_the_user_decides(rf):
    request = rf.get("/tickets/")
    request.session, request.user = SessionStore(), AnonymousUser()
    assert signed_in(request) is False
    request.session.save()  # a session key now: the user is read
    assert request.session.session_key is not None and signed_in(request) is False


def test_the_answer_still_varies_on_the_session_cookie(rf):
    """As when the anonymous user was read from the (empty) session: a shared cache must not
    hand an anonymous page to a signed-in browser."""
    request = rf.get("/tickets/")
    request.session, request.user = SessionStore(), Unread()
    assert "Cookie" in TwoFactorMiddleware(view)(request)["Vary"]
