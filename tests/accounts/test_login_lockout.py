"""Login lockouts for the site and the admin, per (address, real client IP) behind the
configured proxies; failed logins recorded for the staff, who unlock from the admin; the
password reset throttled per address and per client, never for everybody."""

from ipaddress import ip_network

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from accounts.forms import LOGIN_THROTTLED
from accounts.models import SecurityEvent
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
LOGIN = reverse("accounts:login")
ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [ip_network(PROXY + "/32")]
    settings.LOGIN_FAILURE_LIMIT = 3
    return settings


def _post(client, path, email, password, client_ip):
    return client.post(path, {"username": email, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.77, {client_ip}")


def _throttled(response) -> bool:
    return response.status_code == 200 and "Too many failed attempts" in \
        response.content.decode()


@pytest.mark.parametrize("path", [LOGIN, ADMIN_LOGIN])
def test_the_site_and_the_admin_lock_one_address_from_one_client(client, two_orgs,
                                                                 behind_proxy, path):
    agent = two_orgs.agent
    for _ in range(3):
        assert not _throttled(_post(client, path, agent.email, "wrong", "203.0.113.5"))
    # Locked, even with the right password, from that client (whichever login page)...
    for page in (LOGIN, ADMIN_LOGIN):
        assert _throttled(_post(client, page, agent.email, two_orgs.password, "203.0.113.5"))
    # ...but not the same address from another client behind the same proxy, nor another
    # address from the same client: nobody else is locked out.
    other = client.__class__()
    assert _post(other, path, agent.email, two_orgs.password, "203.0.113.6").status_code == 302
    other = client.__class__()
    assert _post(other, path, two_orgs.maria.email, two_orgs.password,
                 "203.0.113.5").status_code == 302
    failed = SecurityEvent.objects.filter(kind="login_failed")
    assert failed.count() == 3
    assert set(failed.values_list("email", "ip")) == {(agent.email, "203.0.113.5")}
    assert SecurityEvent.objects.filter(kind="login_locked").count() == 2


def test_staff_see_the_failures_and_unlock(client, two_orgs, behind_proxy):
    for _ in range(3):
        _post(client, LOGIN, two_orgs.maria.email, "wrong", "203.0.113.9")
    assert _throttled(_post(client, LOGIN, two_orgs.maria.email, two_orgs.password,
                            "203.0.113.9"))
    helper = StaffFactory(email="helper@helpdesk.example")
    helper.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_securityevent", "change_user"]))
    staff = client.__class__()
    staff.force_login(helper)
    changelist = reverse("admin:accounts_securityevent_changelist")
    page = staff.get(changelist + "?kind__exact=login_failed")
    assert page.status_code == 200 and "203.0.113.9" in page.content.decode()
    event = SecurityEvent.objects.filter(kind="login_failed").first()
    response = staff.post(changelist, {"action": "unlock", "_selected_action": [event.pk]})
    assert response.status_code == 302
    unlocked = SecurityEvent.objects.get(kind="login_unlocked")
    assert (unlocked.email, unlocked.ip, unlocked.actor) == (two_orgs.maria.email,
                                                            "203.0.113.9", helper)
    assert _post(client, LOGIN, two_orgs.maria.email, two_orgs.password,
                 "203.0.113.9").status_code == 302


def test_only_staff_allowed_to_change_users_unlock(client, two_orgs, behind_proxy):
    _post(client, LOGIN, two_orgs.maria.email, "wrong", "203.0.113.10")
    viewer = StaffFactory(email="viewer@helpdesk.example")
    viewer.user_permissions.add(Permission.objects.get(codename="view_securityevent"))
    client.force_login(viewer)
    event = SecurityEvent.objects.get()
    response = client.post(reverse("admin:accounts_securityevent_changelist"),
                           {"action": "unlock", "_selected_action": [event.pk]})
    assert response.status_code in (200, 403)
    assert not SecurityEvent.objects.filter(kind="login_unlocked").exists()


def test_the_throttled_message_is_the_one_constant(two_orgs):
    assert "Too many failed attempts" in str(LOGIN_THROTTLED)


def test_resets_behind_the_proxy_are_counted_per_client_and_address(client, two_orgs,
                                                                     behind_proxy,
                                                                     django_capture_on_commit_callbacks):
    behind_proxy.PASSWORD_RESET_IP_LIMIT = 2
    behind_proxy.PASSWORD_RESET_EMAIL_LIMIT = 5
    url = reverse("accounts:password_reset")
    with django_capture_on_commit_callbacks(execute=True):
        # One client uses up its allowance (every request reaches us from the proxy)...
        for n in range(3):
            client.post(url, {"email": f"nobody{n}@acme.example"}, REMOTE_ADDR=PROXY,
                        HTTP_X_FORWARDED_FOR="203.0.113.20")
        # ...and resets still reach everybody else.
        client.post(url, {"email": two_orgs.maria.email}, REMOTE_ADDR=PROXY,
                    HTTP_X_FORWARDED_FOR="203.0.113.21")
        client.post(url, {"email": two_orgs.juan.email}, REMOTE_ADDR=PROXY,
                    HTTP_X_FORWARDED_FOR="203.0.113.22")
    assert sorted(m.to[0] for m in mail.outbox) == [two_orgs.juan.email, two_orgs.maria.email]
