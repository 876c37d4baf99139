"""Two-factor authentication (accounts/two_factor.py, django-otp): required for staff,
superusers and Agents before they reach the admin, optional for customers; recovery codes
shown once and usable once; the admin login is the site's login."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import SecurityEvent, User
from tests.accounts.two_factor_support import pending_device, totp_code
from tests.tickets.agent_setup import make_agent

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
QUEUE = reverse("admin:tickets_ticket_changelist")
LOGIN = reverse("accounts:login")
ADMIN_LOGIN = reverse("admin:login")
VERIFY = reverse("accounts:two_factor_verify")
SETUP = reverse("accounts:two_factor_setup")
PROFILE = reverse("accounts:profile")


@pytest.fixture(autouse=True)
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a right code right after a wrong one counts
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    return settings


def _login(client, user, password, path=LOGIN, **query):
    url = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    return client.post(url, {"username": user.email, "password": password})


def _enrol(client, user, *, steps_ahead=-1) -> list[str]:
    """Scan the QR code, type the code: the recovery codes shown once."""
    page = client.get(SETUP)
    assert page.status_code == 200
    response = client.post(SETUP, {"code": totp_code(pending_device(client),
                                                      steps_ahead=steps_ahead)})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())


def test_an_agent_cannot_reach_the_admin_before_enrolling(client, two_orgs):
    make_agent(two_orgs.agent)
    response = _login(client, two_orgs.agent, two_orgs.password, path=ADMIN_LOGIN,
                      next=QUEUE)
    assert response.status_code == 302 and response["Location"] == QUEUE
    for path in (QUEUE, ADMIN, reverse("tickets:my_tickets"), PROFILE):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    # Not enrolled: the verification step sends staff on to the enrolment page.
    response = client.get(f"{VERIFY}?next={QUEUE}")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    page = client.get(response["Location"]).content.decode()
    assert '<svg width="' in page and 'class="qr-code"' in page  # the QR code, server-side
    assert "style=" not in page and "<script>" not in page
    assert not TOTPDevice.objects.exists()  # the secret waits in the session until confirmed

    response = client.post(SETUP, {"code": "000000"})
    assert str(two_factor.WRONG_CODE) in response.content.decode()
    codes = _enrol(client, two_orgs.agent)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(QUEUE).status_code == 200
    assert SecurityEvent.objects.filter(kind="2fa_enabled", user=two_orgs.agent).count() == 1


def test_every_login_of_an_enrolled_agent_asks_for_a_code(client, two_orgs):
    make_agent(two_orgs.agent)
    _login(client, two_orgs.agent, two_orgs.password)
    _enrol(client, two_orgs.agent)
    client.post(reverse("accounts:logout"))

    _login(client, two_orgs.agent, two_orgs.password, path=ADMIN_LOGIN, next=QUEUE)
    assert client.get(QUEUE)["Location"].startswith(VERIFY)
    response = client.post(f"{VERIFY}?next={QUEUE}", {"code": "123456"})
    assert response.status_code == 200 and str(two_factor.WRONG_CODE) in \
        response.content.decode()
    assert SecurityEvent.objects.filter(kind="2fa_failed", user=two_orgs.agent).count() == 1
    before = client.cookies["sessionid"].value
    device = TOTPDevice.objects.get(user=two_orgs.agent, confirmed=True)
    response = client.post(f"{VERIFY}?next={QUEUE}", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert client.cookies["sessionid"].value != before  # a new session key once verified
    assert client.get(QUEUE).status_code == 200
    # The same code (the same time step) does not open another session.
    other = client.__class__()
    _login(other, two_orgs.agent, two_orgs.password)
    assert other.post(VERIFY, {"code": totp_code(device)}).status_code == 200
    assert other.get(QUEUE).status_code == 302


def test_a_recovery_code_works_once(client, two_orgs):
    make_agent(two_orgs.agent)
    _login(client, two_orgs.agent, two_orgs.password)
    codes = _enrol(client, two_orgs.agent)
    for attempt in (1, 2):
        client.post(reverse("accounts:logout"))
        _login(client, two_orgs.agent, two_orgs.password)
        response = client.post(VERIFY + f"?next={QUEUE}", {"code": codes[0].upper()})
        if attempt == 1:
            assert response.status_code == 302 and client.get(QUEUE).status_code == 200
        else:
            assert response.status_code == 200 and client.get(QUEUE).status_code == 302
    assert StaticToken.objects.filter(device__user=two_orgs.agent).count() == 9
    assert SecurityEvent.objects.filter(kind="recovery_used").count() == 1


def test_a_superuser_is_held_to_it_too_and_cannot_turn_it_off(client, two_orgs):
    root = User.objects.create_superuser("root@helpdesk.example", two_orgs.password)
    _login(client, root, two_orgs.password, path=ADMIN_LOGIN)
    assert client.get(ADMIN)["Location"].startswith(VERIFY)
    _enrol(client, root)
    assert client.get(ADMIN).status_code == 200
    response = client.post(reverse("accounts:two_factor_disable"), follow=True)
    assert str(two_factor.TWO_FACTOR_REQUIRED_ERROR) in response.content.decode()
    assert TOTPDevice.objects.filter(user=root, confirmed=True).exists()


def test_an_unverified_staff_session_gets_no_admin_page(client, two_orgs, rf):
    """The admin's own check, apart from the middleware (a session made staff later)."""
    from django.contrib import admin

    make_agent(two_orgs.agent)
    client.force_login(two_orgs.maria)
    User.objects.filter(pk=two_orgs.maria.pk).update(is_staff=True)
    response = client.get(QUEUE)
    assert response.status_code == 302 and response["Location"].startswith(ADMIN_LOGIN)
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert admin.site.has_permission is not None


def test_customers_choose_and_their_logins_then_ask_for_a_code(client, two_orgs):
    maria = two_orgs.maria
    assert _login(client, maria, two_orgs.password).status_code == 302
    assert client.get(reverse("tickets:my_tickets")).status_code == 200  # no second step
    assert "Turn on two-factor authentication" in client.get(PROFILE).content.decode()
    codes = _enrol(client, maria)
    assert len(codes) == 10
    client.post(reverse("accounts:logout"))
    _login(client, maria, two_orgs.password)
    assert client.get(reverse("tickets:my_tickets"))["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": codes[3]})
    response = client.post(reverse("accounts:two_factor_disable"), follow=True)
    assert str(two_factor.TWO_FACTOR_REQUIRED_ERROR) not in response.content.decode()
    assert not TOTPDevice.objects.filter(user=maria).exists()
    client.post(reverse("accounts:logout"))
    _login(client, maria, two_orgs.password)
    assert client.get(reverse("tickets:my_tickets")).status_code == 200
    kinds = set(SecurityEvent.objects.filter(user=maria).values_list("kind", flat=True))
    assert {"2fa_enabled", "recovery_used", "2fa_disabled"} <= kinds


@pytest.mark.parametrize("language, texts", [
    ("en", ["Set up two-factor authentication", "Scan this QR code with the app:"]),
    ("es", ["Configurar la verificación en dos pasos", "Escanee este código QR con la app:"]),
])
def test_the_pages_are_in_both_languages(client, two_orgs, language, texts):
    User.objects.filter(pk=two_orgs.maria.pk).update(language=language)
    client.force_login(two_orgs.maria)
    page = client.get(SETUP).content.decode()
    assert all(text in page for text in texts)


def test_new_recovery_codes_replace_the_old_ones(client, two_orgs):
    _login(client, two_orgs.maria, two_orgs.password)
    old = _enrol(client, two_orgs.maria)
    response = client.post(reverse("accounts:two_factor_recovery_codes"))
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_the_password_alone_cannot_replace_or_remove_the_second_factor(client, two_orgs):
    maria = two_orgs.maria
    _login(client, maria, two_orgs.password)
    codes = _enrol(client, maria)
    client.post(reverse("accounts:logout"))
    _login(client, maria, two_orgs.password)  # the password only: second factor pending
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    for name in ("accounts:two_factor_disable", "accounts:two_factor_recovery_codes"):
        response = client.post(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=maria, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=maria).count() == len(codes)


def test_the_recovery_codes_page_leads_to_a_url(client, two_orgs):
    _login(client, two_orgs.maria, two_orgs.password)
    client.get(SETUP)
    response = client.post(SETUP, {"code": totp_code(pending_device(client))})
    assert f'href="{PROFILE}"' in response.content.decode()


def test_the_second_factor_costs_an_admin_page_one_query(client, two_orgs, settings):
    """A verified session's device is loaded once per request (django-otp's middleware, by
    primary key); the check asks nothing else of the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY

    make_agent(two_orgs.agent)
    device = TOTPDevice.objects.create(user=two_orgs.agent, name="app", confirmed=True)

    def queue_queries(verified: bool) -> list[str]:
        browser = client.__class__()
        browser.force_login(two_orgs.agent)
        session = browser.session
        session.pop(two_factor.PENDING_SESSION_KEY, None)
        if verified:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        browser.get(QUEUE)
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(QUEUE).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    with_device = queue_queries(verified=True)
    settings.TWO_FACTOR_REQUIRED = False
    without = queue_queries(verified=False)
    assert len([q for q in with_device if "otp_totp_totpdevice" in q]) == 1
    assert len(with_device) == len(without) + 1, (len(with_device), len(without))


def test_the_admin_never_shows_a_secret_to_another_person(client, two_orgs):
    from django.contrib.admin.sites import site

    from accounts import services

    device = TOTPDevice.objects.create(user=two_orgs.agent, name="app", confirmed=True)
    codes = services.recovery_codes_renew(user=two_orgs.agent)
    root = User.objects.create_superuser("root@helpdesk.example", two_orgs.password)
    client.force_login(root)
    session = client.session
    session.pop(two_factor.PENDING_SESSION_KEY, None)
    session["otp_device_id"] = TOTPDevice.objects.create(user=root, name="root",
                                                         confirmed=True).persistent_id
    session.save()
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in page.content.decode()
    assert "qrcode" not in page.content.decode()
    static = StaticToken.objects.filter(device__user=two_orgs.agent).first().device
    page = client.get(reverse("admin:otp_static_staticdevice_change", args=[static.pk]))
    assert page.status_code == 200 and not any(c in page.content.decode() for c in codes)
    assert site.is_registered(TOTPDevice)
