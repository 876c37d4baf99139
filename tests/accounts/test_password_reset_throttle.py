"""Password-reset throttling: emails per target address and per client IP within a window,
with the same answer for throttled, known and unknown addresses."""

import itertools
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import throttle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_ips = (f"10.20.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def limits(settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    settings.PASSWORD_RESET_IP_LIMIT = 100
    settings.PASSWORD_RESET_WINDOW_SECONDS = 3600
    return settings


_on_commit = {}


@pytest.fixture(autouse=True)
def _run_on_commit_hooks(django_capture_on_commit_callbacks):
    """The reset email is recorded in the outbox and sent after commit."""
    _on_commit["capture"] = django_capture_on_commit_callbacks


def _reset(client, email, ip=None):
    with _on_commit["capture"](execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email},
                           REMOTE_ADDR=ip or next(_ips))


def _sent_to(address):
    return sum(address in message.to for message in mail.outbox)


def test_no_email_past_the_limit_for_one_address(client, two_orgs, limits, caplog):
    # From a different client each time, in different spellings: one counter per address.
    for email in ["maria@acme.example", "Maria@Acme.example", " MARIA@ACME.EXAMPLE "]:
        assert _reset(client, email).status_code == 302
    assert _sent_to("maria@acme.example") == 3

    ip = next(_ips)
    response = _reset(client, "maria@acme.example", ip)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert _sent_to("maria@acme.example") == 3 and len(mail.outbox) == 3
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "accounts.security" and r.levelname == "WARNING"]
    assert warnings == [f"Password reset email withheld for 'maria@acme.example' requested "
                        f"from {ip}: 4 requests for this address in the window (limit 3)"]


def test_other_addresses_still_get_their_email(client, two_orgs, limits):
    ip = next(_ips)
    for _ in range(4):
        _reset(client, two_orgs.maria.email, ip)
    assert _sent_to(two_orgs.maria.email) == 3
    assert _reset(client, two_orgs.juan.email, ip).status_code == 302
    assert _sent_to(two_orgs.juan.email) == 1


def test_no_email_past_the_limit_for_one_client(client, two_orgs, limits):
    limits.PASSWORD_RESET_IP_LIMIT = 4
    ip = next(_ips)
    # Unknown addresses count too: probing for accounts uses up the client's allowance.
    for email in ["nobody@acme.example", two_orgs.maria.email, two_orgs.juan.email,
                  two_orgs.ana.email]:
        _reset(client, email, ip)
    assert len(mail.outbox) == 3
    latecomer = UserFactory(email="late@acme.example")
    assert _reset(client, latecomer.email, ip).status_code == 302
    assert len(mail.outbox) == 3
    # The same address from another client is served.
    _reset(client, latecomer.email, next(_ips))
    assert _sent_to(latecomer.email) == 1 and len(mail.outbox) == 4


def test_throttled_response_is_the_normal_one(client, two_orgs, limits):
    def answer(email):
        response = _reset(client, email)
        page = client.get(response["Location"])
        return (response.status_code, response["Location"], response.content,
                page.status_code, _CSRF.sub("", page.content.decode()))

    normal = answer(two_orgs.maria.email)
    unknown = answer("nobody@acme.example")
    for _ in range(2):
        answer(two_orgs.maria.email)
        answer("nobody@acme.example")
    assert _sent_to(two_orgs.maria.email) == 3
    assert answer(two_orgs.maria.email) == normal == unknown
    assert answer("nobody@acme.example") == normal
    assert _sent_to(two_orgs.maria.email) == 3


def test_the_limit_lifts_when_the_window_ends(client, two_orgs, limits, clock, cache_backend):
    limits.PASSWORD_RESET_EMAIL_LIMIT = 2
    email = two_orgs.maria.email
    _reset(client, email)
    _reset(client, email)
    # Refused while the window lasts, also long after the cache's default timeout (300 s)
    # since the last count, and refused requests do not extend the window.
    for seconds in (1000, 1000, 1500):
        clock.advance(seconds)
        _reset(client, email)
        assert _sent_to(email) == 2
    clock.advance(101)  # 3601 s after the first request
    _reset(client, email)
    assert _sent_to(email) == 3


def test_requests_for_unknown_addresses_are_counted_alike(db, limits):
    # The helper counts the request before any account is looked up.
    ip = next(_ips)
    results = [throttle.password_reset_request_record(email="nobody@acme.example", ip=ip)
               for _ in range(4)]
    assert results == [True, True, True, False]
