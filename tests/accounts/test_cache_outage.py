"""Redis down: logins, sessions, throttles and permission checks fall back to the database
(accounts.cache_guard); Redis back: nothing written while it was down is served stale.

The outage is real: Django's Redis cache pointed at a port where nothing listens, or a
private redis-server behind a TCP proxy that is cut (the server keeps its data, as after a
network cut or a restart from its dump)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.urls import reverse

from accounts import cache_guard, throttle
from tests.support.procs import IN_CI, PrivateRedis, TcpProxy, free_port
from tests.tickets.agent_setup import make_agent

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:tickets_ticket_changelist")
MY_TICKETS = reverse("tickets:my_tickets")
LOGIN = reverse("accounts:login")


def _redis_caches(location: str) -> dict:
    return {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": location,
                    "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}},
        "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                     "LOCATION": "helpdesk_cache"},
    }


@pytest.fixture
def guard_reset():
    cache_guard.reset_for_tests()
    yield
    cache_guard.reset_for_tests()


@pytest.fixture
def redis_settings(settings, guard_reset):
    settings.SESSION_ENGINE = "accounts.sessions"
    settings.PERMISSION_CACHE = True
    settings.CACHE_RETRY_SECONDS = 0  # try Redis again on the next call
    return settings


@pytest.fixture
def redis_down(redis_settings):
    """Django's Redis cache pointed at a port where nothing listens."""
    redis_settings.CACHES = _redis_caches(f"redis://127.0.0.1:{free_port()}/0")
    return redis_settings


def _login(client, user, password, ip="10.9.8.7"):
    return client.post(LOGIN, {"username": user.email, "password": password}, REMOTE_ADDR=ip)


def test_login_and_my_tickets_work_with_redis_down(client, two_orgs, redis_down):
    assert _login(client, two_orgs.maria, two_orgs.password).status_code == 302
    assert client.get(MY_TICKETS).status_code == 200
    assert client.get(MY_TICKETS).status_code == 200  # the session read from the database
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(MY_TICKETS).status_code == 302  # logged out


def test_the_agent_queue_works_with_redis_down(client, two_orgs, redis_down):
    make_agent(two_orgs.agent)
    assert _login(client, two_orgs.agent, two_orgs.password).status_code == 302
    assert client.get(QUEUE).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200  # the queue overview
    two_orgs.agent.groups.remove(Group.objects.get(name="Agents"))
    assert client.get(QUEUE).status_code == 403  # computed from the database


def test_failed_logins_stay_limited_with_redis_down(client, two_orgs, redis_down, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = _login(client, two_orgs.juan, "wrong-password")
        assert response.status_code == 200 and "throttled" not in str(response.context["form"].errors.as_data())
    response = _login(client, two_orgs.juan, two_orgs.password)  # right password, too late
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["throttled"]
    assert throttle.login_is_throttled(email=two_orgs.juan.email, ip="10.9.8.7")


def test_password_reset_requests_stay_limited_with_redis_down(redis_down, settings, db):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 2
    allowed = [throttle.password_reset_request_record(email="x@example.com", ip="10.1.1.1")
               for _ in range(4)]
    assert allowed == [True, True, False, False]


def test_a_dead_redis_is_tried_once_per_retry_period(redis_down, settings, db):
    settings.CACHE_RETRY_SECONDS = 3600
    calls = []

    def operation():
        calls.append(1)
        return caches["default"].get("anything")

    for _ in range(3):
        with pytest.raises(cache_guard.CacheUnavailable):
            cache_guard.guarded(operation)
    assert len(calls) == 1


# A private redis-server behind a proxy that is cut: the server keeps what it holds.

def _redis_server_available() -> bool:
    if shutil.which("redis-server"):
        return True
    if IN_CI:
        raise RuntimeError("CI=true but redis-server is not installed")
    return False


needs_redis_server = pytest.mark.skipif(not _redis_server_available(),
                                        reason="redis-server not installed")


@pytest.fixture
def redis_behind_proxy(redis_settings, tmp_path):
    server = PrivateRedis(tmp_path / f"redis-{os.getpid()}")
    server.start()
    proxy = TcpProxy("127.0.0.1", server.port).start()
    redis_settings.CACHES = _redis_caches(f"redis://127.0.0.1:{proxy.port}/0")
    yield proxy
    proxy.close()
    server.stop()


@needs_redis_server
def test_a_permission_revoked_while_redis_was_down_is_not_served_from_it_after(
        client, two_orgs, redis_behind_proxy):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    assert client.get(QUEUE).status_code == 200  # the permission set is now in Redis
    redis_behind_proxy.cut()
    two_orgs.agent.groups.remove(Group.objects.get(name="Agents"))
    assert client.get(QUEUE).status_code == 403
    redis_behind_proxy.restore()
    assert client.get(QUEUE).status_code == 403  # not the set cached before the outage
    assert client.get(QUEUE).status_code == 403


@needs_redis_server
def test_a_session_logged_out_while_redis_was_down_does_not_come_back(
        client, two_orgs, redis_behind_proxy):
    assert _login(client, two_orgs.maria, two_orgs.password).status_code == 302
    assert client.get(MY_TICKETS).status_code == 200  # the session is now in Redis
    cookie = client.cookies["sessionid"].value
    redis_behind_proxy.cut()
    assert client.post(reverse("accounts:logout")).status_code == 302
    redis_behind_proxy.restore()
    client.cookies["sessionid"] = cookie  # the old cookie, replayed
    assert client.get(MY_TICKETS).status_code == 302  # to the login page


@needs_redis_server
def test_sessions_are_read_from_redis_when_it_is_up(client, two_orgs, redis_behind_proxy,
                                                     django_assert_num_queries):
    assert _login(client, two_orgs.maria, two_orgs.password).status_code == 302
    client.get(MY_TICKETS)
    key = client.cookies["sessionid"].value
    from accounts.sessions import SessionStore

    store = SessionStore(key)
    with django_assert_num_queries(0):
        assert store.load()["_auth_user_id"] == str(two_orgs.maria.pk)
