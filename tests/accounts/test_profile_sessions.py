"""The profile page's sessions list and "sign out everywhere (else)"; the session key
renewed at login and at a password change. With REDIS_URL set (the PostgreSQL pass) the
sessions are accounts.sessions on the real Redis; one test runs with Redis down."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import SecurityEvent, UserSession
from tests.accounts.test_cache_outage import (  # noqa: F401 (fixtures)
    guard_reset,
    redis_down,
    redis_settings,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")
SIGN_OUT = reverse("accounts:sessions_sign_out")
MY_TICKETS = reverse("tickets:my_tickets")


def _browser(client_class, user, password, *, agent: str, ip: str):
    browser = client_class(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = browser.post(LOGIN, {"username": user.email, "password": password})
    assert response.status_code == 302
    return browser


def _two_browsers(client, two_orgs):
    laptop = _browser(client.__class__, two_orgs.maria, two_orgs.password,
                      agent="Firefox on the laptop", ip="192.0.2.10")
    phone = _browser(client.__class__, two_orgs.maria, two_orgs.password,
                     agent="Safari on the phone", ip="192.0.2.11")
    return laptop, phone


def test_the_profile_lists_the_sessions_with_the_current_one_marked(client, two_orgs):
    laptop, phone = _two_browsers(client, two_orgs)
    _browser(client.__class__, two_orgs.juan, two_orgs.password, agent="Juan's", ip="1.2.3.4")
    page = laptop.get(PROFILE).content.decode()
    assert "Firefox on the laptop" in page and "Safari on the phone" in page
    assert "192.0.2.10" in page and "192.0.2.11" in page and "Juan's" not in page
    current = page.split('class="current-session"', 1)[1].split("</tr>", 1)[0]
    assert "Firefox on the laptop" in current and "This session" in current


def test_sign_out_everywhere_else_keeps_this_session(client, two_orgs):
    laptop, phone = _two_browsers(client, two_orgs)
    assert phone.get(MY_TICKETS).status_code == 200
    response = laptop.post(SIGN_OUT, {"scope": "others"}, follow=True)
    assert "Signed out of 1 other sessions." in response.content.decode()
    assert phone.get(MY_TICKETS).status_code == 302  # anonymous now
    assert laptop.get(MY_TICKETS).status_code == 200
    assert UserSession.objects.filter(user=two_orgs.maria).count() == 1
    assert SecurityEvent.objects.filter(kind="sessions_ended", user=two_orgs.maria).exists()


def test_sign_out_everywhere_ends_this_session_too(client, two_orgs):
    laptop, phone = _two_browsers(client, two_orgs)
    response = laptop.post(SIGN_OUT, {"scope": "all"})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert laptop.get(MY_TICKETS).status_code == 302
    assert phone.get(MY_TICKETS).status_code == 302
    assert not UserSession.objects.filter(user=two_orgs.maria).exists()


def test_sign_out_elsewhere_works_with_redis_down(client, two_orgs, redis_down):  # noqa: F811
    laptop, phone = _two_browsers(client, two_orgs)
    laptop.post(SIGN_OUT, {"scope": "others"})
    assert phone.get(MY_TICKETS).status_code == 302
    assert laptop.get(MY_TICKETS).status_code == 200


def test_the_session_key_is_renewed_at_login(client, two_orgs):
    session = client.session
    session["before-login"] = True
    session.save()
    anonymous_key = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = anonymous_key
    client.post(LOGIN, {"username": two_orgs.maria.email, "password": two_orgs.password})
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != anonymous_key
    assert UserSession.objects.get(user=two_orgs.maria).session_key == new_key


def test_a_password_change_renews_the_key_and_ends_the_other_sessions(client, two_orgs):
    laptop, phone = _two_browsers(client, two_orgs)
    before = laptop.cookies[settings.SESSION_COOKIE_NAME].value
    response = laptop.post(reverse("accounts:password_change"), {
        "old_password": two_orgs.password, "new_password1": "a-new-Pass-9731",
        "new_password2": "a-new-Pass-9731"})
    assert response.status_code == 302 and response["Location"] == PROFILE
    after = laptop.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert laptop.get(MY_TICKETS).status_code == 200
    assert phone.get(MY_TICKETS).status_code == 302
    assert list(UserSession.objects.filter(user=two_orgs.maria)
                .values_list("session_key", flat=True)) == [after]
    assert SecurityEvent.objects.filter(kind="password_changed", user=two_orgs.maria).exists()


def test_the_index_of_ended_sessions_is_pruned(client, two_orgs):
    from django.contrib.sessions.models import Session

    from accounts.tasks import user_sessions_prune

    laptop, phone = _two_browsers(client, two_orgs)
    Session.objects.filter(session_key=phone.cookies[settings.SESSION_COOKIE_NAME].value
                           ).delete()  # as clearsessions does, without a logout
    assert user_sessions_prune.delay().get() == {"deleted": 1}
    assert UserSession.objects.filter(user=two_orgs.maria).count() == 1
