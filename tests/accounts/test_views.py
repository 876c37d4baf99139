"""Login (remember me, throttling), logout, password reset, first-login confirmation,
language."""

import itertools
import random
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import throttle
from accounts.models import User
from outbox.models import OutboxEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Random per run: failure counters live in the cache (Redis outside the embedded default)
# and must not leak between tests or between runs.
_ips = (f"10.{random.randrange(256)}.{random.randrange(256)}.{n % 250 + 1}"
        for n in itertools.count())


@pytest.fixture
def ip():
    """A fresh client address per test, so failure counters never leak between tests."""
    return next(_ips)


def _login(client, email, password, ip, follow=False, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password,
                                                   **extra}, REMOTE_ADDR=ip, follow=follow)


def test_login_without_remember_me_ends_with_the_browser(client, two_orgs, ip):
    response = _login(client, "MARIA@acme.example", two_orgs.password, ip)
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close()


def test_login_with_remember_me_lasts_two_weeks(client, two_orgs, ip):
    _login(client, two_orgs.maria.email, two_orgs.password, ip, remember_me="on")
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 14 * 24 * 3600


def test_wrong_password_is_a_form_error(client, two_orgs, ip):
    response = _login(client, two_orgs.maria.email, "wrong", ip)
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_throttled_and_logged(client, two_orgs, ip, settings, caplog):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, two_orgs.maria.email, "wrong", ip)
    # Even the right password is refused while throttled.
    response = _login(client, two_orgs.maria.email, two_orgs.password, ip)
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert any("throttled" in r.getMessage() for r in caplog.records
               if r.name == "accounts.security")
    assert any("Failed login" in r.getMessage() for r in caplog.records)


def test_throttling_is_per_email_and_ip(client, two_orgs, ip, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        _login(client, two_orgs.maria.email, "wrong", ip)
    other_ip = next(_ips)
    assert _login(client, two_orgs.maria.email, two_orgs.password, other_ip).status_code == 302
    client.logout()
    assert _login(client, two_orgs.juan.email, two_orgs.password, ip).status_code == 302


def test_successful_login_resets_the_failure_count(client, two_orgs, ip, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    _login(client, two_orgs.maria.email, "wrong", ip)
    _login(client, two_orgs.maria.email, "wrong", ip)
    assert _login(client, two_orgs.maria.email, two_orgs.password, ip).status_code == 302
    client.logout()
    _login(client, two_orgs.maria.email, "wrong", ip)
    _login(client, two_orgs.maria.email, "wrong", ip)
    assert not throttle.login_is_throttled(email=two_orgs.maria.email, ip=ip)


def _refused_as_throttled(client, response):
    return ("Too many failed attempts" in response.content.decode()
            and "_auth_user_id" not in client.session)


def test_the_login_throttle_lifts_when_the_window_ends(client, two_orgs, ip, settings, clock,
                                                        cache_backend):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    email, password = two_orgs.maria.email, two_orgs.password
    _login(client, email, "wrong", ip)
    _login(client, email, "wrong", ip)
    clock.advance(400)  # past the cache's default timeout (300 s) since the last failure
    _login(client, email, "wrong", ip)
    # Refused, even with the right password, until the window that opened with the first
    # failure ends; neither the later failure nor the refusals extend it.
    for seconds in (250, 200):  # 650 and 850 s after the first failure
        clock.advance(seconds)
        assert _refused_as_throttled(client, _login(client, email, password, ip))
    clock.advance(51)  # 901 s after the first failure
    assert _login(client, email, password, ip).status_code == 302


def test_a_successful_login_clears_the_failures_and_their_window(client, two_orgs, ip, settings,
                                                                  clock, cache_backend):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    email, password = two_orgs.maria.email, two_orgs.password
    _login(client, email, "wrong", ip)
    _login(client, email, "wrong", ip)
    clock.advance(400)  # the first window lasts until 900 s
    assert _login(client, email, password, ip).status_code == 302
    client.logout()
    # The count starts over, in a new window opened by the next failure (400 s to 1300 s).
    _login(client, email, "wrong", ip)
    _login(client, email, "wrong", ip)
    assert not throttle.login_is_throttled(email=email, ip=ip)
    _login(client, email, "wrong", ip)
    clock.advance(850)  # 1250 s: past the first window, within the new one
    assert _refused_as_throttled(client, _login(client, email, password, ip))
    clock.advance(51)  # 1301 s
    assert _login(client, email, password, ip).status_code == 302


def test_logout_is_post_only(client, two_orgs):
    client.force_login(two_orgs.maria)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, two_orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"),
                               {"email": "Maria@Acme.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    # Sent from the outbox, whose row keeps no reset link once the email is sent.
    sent = OutboxEmail.objects.get(kind="password_reset")
    assert sent.sent_at is not None and sent.body_text == "" and sent.body_html == ""
    assert sent.header_message_id == mail.outbox[0].extra_headers["Message-ID"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", body).group(1)
    page = client.get(link, follow=True)
    assert 'name="new_password1"' in page.content.decode()
    response = client.post(page.redirect_chain[-1][0],
                           {"new_password1": "a-fresh-Pass-9753", "new_password2":
                            "a-fresh-Pass-9753"})
    assert response.status_code == 302
    two_orgs.maria.refresh_from_db()
    assert two_orgs.maria.check_password("a-fresh-Pass-9753")
    # The link works once.
    assert "no longer valid" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@x.example"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_first_login_leads_to_the_contact_details(client, two_orgs, ip):
    two_orgs.juan.details_confirmed_at = None
    two_orgs.juan.save()
    response = _login(client, two_orgs.juan.email, two_orgs.password, ip, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:confirm_details"))
    assert client.get(reverse("tickets:submit")).status_code == 302
    response = client.post(
        reverse("accounts:confirm_details") + "?next=/tickets/new/",
        {"full_name": "Juan Pérez", "phone": "+52 55 1234 5678", "job_title": "NOC",
         "language": "es", "time_zone": "America/Mexico_City"})
    assert response["Location"] == "/tickets/new/"
    juan = User.objects.get(pk=two_orgs.juan.pk)
    assert juan.details_confirmed_at is not None and juan.job_title == "NOC"
    assert client.get(reverse("tickets:submit")).status_code == 200


def test_confirm_details_refuses_an_offsite_next(client, two_orgs):
    two_orgs.juan.details_confirmed_at = None
    two_orgs.juan.save()
    client.force_login(two_orgs.juan)
    response = client.post(
        reverse("accounts:confirm_details") + "?next=https://evil.example/",
        {"full_name": "Juan", "language": "", "time_zone": "UTC"})
    assert response["Location"] == reverse("tickets:my_tickets")


def test_confirm_details_requires_a_name_and_a_real_time_zone(client, two_orgs):
    client.force_login(two_orgs.juan)
    response = client.post(reverse("accounts:confirm_details"),
                           {"full_name": "", "language": "en", "time_zone": "Mars/Base"})
    form = response.context["form"]
    assert "full_name" in form.errors and "time_zone" in form.errors


def test_browser_language_when_the_contact_has_none(client, two_orgs):
    two_orgs.maria.language = ""
    two_orgs.maria.save()
    client.force_login(two_orgs.maria)
    html = client.get(reverse("tickets:my_tickets"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in html
    html = client.get(reverse("tickets:my_tickets"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html


def test_contact_language_wins_over_the_browser(client, two_orgs):
    client.force_login(two_orgs.maria)  # language "en"
    html = client.get(reverse("tickets:my_tickets"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in html


def test_language_switch_is_saved_for_the_contact(client, two_orgs):
    client.force_login(two_orgs.maria)
    response = client.post(reverse("accounts:language"), {"language": "es", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.get(pk=two_orgs.maria.pk).language == "es"
    assert '<html lang="es">' in client.get("/").content.decode()


def test_language_switch_for_anonymous_sets_the_cookie(client, db):
    client.post(reverse("accounts:language"), {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en">' in client.get(reverse("accounts:login")).content.decode()
    client.post(reverse("accounts:language"), {"language": "es"})
    assert '<html lang="es">' in client.get(reverse("accounts:login")).content.decode()


def test_language_switch_refuses_unknown_languages_and_offsite_next(client, two_orgs):
    client.force_login(two_orgs.maria)
    response = client.post(reverse("accounts:language"),
                           {"language": "xx", "next": "https://evil.example/"})
    assert "evil.example" not in response.get("Location", "")
    assert User.objects.get(pk=two_orgs.maria.pk).language == "en"


def test_staff_without_organization_are_not_asked_to_confirm(client, two_orgs):
    staff = UserFactory(organization=None, is_staff=True, details_confirmed_at=None)
    client.force_login(staff)
    response = client.get(reverse("tickets:my_tickets"))
    # Not to the confirmation page: staff who open the customer site go to the agent desk.
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_an_anonymous_visitor_gets_spanish_by_default_and_english_on_request(client, settings):
    settings.LANGUAGE_CODE = "es"
    assert "Iniciar sesión" in client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in english.content.decode()
