"""accounts.sessions on a real redis-server of the test's own (behind a TCP proxy that can be
cut): what a warm read costs (counted by the server itself), write-through that survives a
Redis restart, logout from both stores, entries that never outlive their database row, and
nothing written while Redis was down served stale once it is back."""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import SessionStore, cache_key
from tests.accounts.test_cache_outage import _redis_caches, needs_redis_server
from tests.support.procs import PrivateRedis, TcpProxy

pytestmark = [pytest.mark.django_db, needs_redis_server]
MY_TICKETS = reverse("tickets:my_tickets")
LOGIN = reverse("accounts:login")


@pytest.fixture
def private_redis(settings, guard_reset, tmp_path):
    """settings on accounts.sessions, their cache a private redis-server behind a proxy;
    `raw` talks to the server directly (its command statistics, its keys)."""
    settings.SESSION_ENGINE = "accounts.sessions"
    settings.CACHE_RETRY_SECONDS = 0  # try Redis again on the next call
    settings.PERMISSION_CACHE = False  # its own MGET apart (accounts.permission_cache)
    server = PrivateRedis(tmp_path / f"redis-{os.getpid()}")
    server.start()
    proxy = TcpProxy("127.0.0.1", server.port).start()
    settings.CACHES = _redis_caches(f"redis://127.0.0.1:{proxy.port}/0")
    raw = redis.Redis(host="127.0.0.1", port=server.port)
    yield SimpleNamespace(server=server, proxy=proxy, raw=raw)
    raw.close()
    proxy.close()
    server.stop()


@pytest.fixture
def guard_reset():
    from accounts import cache_guard

    cache_guard.reset_for_tests()
    yield
    cache_guard.reset_for_tests()


def _commands(raw: redis.Redis) -> dict[str, int]:
    """Commands the server ran since the last reset, by name (our own INFO/CONFIG apart)."""
    stats = raw.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()
            if name not in ("cmdstat_info", "cmdstat_config|resetstat")}


def _logged_in(client, two_orgs) -> str:
    response = client.post(LOGIN, {"username": two_orgs.maria.email,
                                   "password": two_orgs.password}, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302
    assert client.get(MY_TICKETS).status_code == 200  # the session is now in Redis
    return client.cookies["sessionid"].value


def _session_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_warm_read_is_one_redis_command_and_no_query(client, two_orgs, private_redis,
                                                       django_assert_num_queries):
    key = _logged_in(client, two_orgs)
    SessionStore(key).load()  # this thread's connection to Redis is open
    private_redis.raw.config_resetstat()
    with django_assert_num_queries(0):
        assert SessionStore(key).load()["_auth_user_id"] == str(two_orgs.maria.pk)
    assert _commands(private_redis.raw) == {"mget": 1}


def test_a_warm_request_reads_its_session_with_one_redis_command(client, two_orgs,
                                                                 private_redis):
    _logged_in(client, two_orgs)
    private_redis.raw.config_resetstat()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(MY_TICKETS).status_code == 200
    assert _session_queries(queries) == []
    assert _commands(private_redis.raw) == {"mget": 1}  # nothing else of the request's


def test_a_cold_read_is_one_query_and_warms_the_cache(client, two_orgs, private_redis,
                                                      django_assert_num_queries):
    key = _logged_in(client, two_orgs)
    caches["default"].delete(cache_key(key))
    with django_assert_num_queries(1):
        assert SessionStore(key).load()["_auth_user_id"] == str(two_orgs.maria.pk)
    with django_assert_num_queries(0):
        assert SessionStore(key).load()["_auth_user_id"] == str(two_orgs.maria.pk)


def test_sessions_survive_a_redis_restart(client, two_orgs, private_redis,
                                          django_assert_num_queries):
    key = _logged_in(client, two_orgs)
    private_redis.server.stop()  # nothing persisted: it comes back empty
    private_redis.server.start()
    assert private_redis.raw.dbsize() == 0
    assert client.get(MY_TICKETS).status_code == 200  # still logged in, read from the database
    assert client.get(MY_TICKETS).status_code == 200
    with django_assert_num_queries(0):
        assert SessionStore(key).load()["_auth_user_id"] == str(two_orgs.maria.pk)


def test_logout_deletes_the_session_from_both_stores(client, two_orgs, private_redis):
    key = _logged_in(client, two_orgs)
    entry = caches["default"].make_key(cache_key(key))
    assert private_redis.raw.exists(entry)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not private_redis.raw.exists(entry)
    assert not Session.objects.filter(session_key=key).exists()


def test_a_login_drops_the_key_of_the_anonymous_session(client, two_orgs, private_redis):
    store = SessionStore()
    store["language"] = "es"
    store.save()
    store = SessionStore(store.session_key)
    store.load()  # cached
    old = store.session_key
    store.cycle_key()  # what login() does
    assert store.session_key != old
    assert not private_redis.raw.exists(caches["default"].make_key(cache_key(old)))
    assert not Session.objects.filter(session_key=old).exists()


def test_a_cached_entry_never_outlives_its_database_row(two_orgs, private_redis):
    store = SessionStore()
    store["language"] = "es"
    store.set_expiry(60)
    store.save()
    SessionStore(store.session_key).load()  # cached from the row
    ttl_seconds = private_redis.raw.ttl(caches["default"].make_key(cache_key(store.session_key)))
    assert 0 < ttl_seconds <= 60


def test_an_unknown_key_is_dropped_not_saved_under(private_redis, db):
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None  # a made-up key never becomes a session
    store["language"] = "es"
    store.save()
    assert store.session_key not in (None, "x" * 32)


def test_a_session_changed_while_redis_was_down_is_not_served_stale_after(
        client, two_orgs, private_redis):
    key = _logged_in(client, two_orgs)
    private_redis.proxy.cut()
    store = SessionStore(key)
    store["language"] = "en"  # read from, and saved to, the database alone
    store.save()
    private_redis.proxy.restore()
    assert SessionStore(key).get("language") == "en"  # not the entry cached before the outage
    assert SessionStore(key).get("language") == "en"


def test_a_session_expired_while_redis_was_down_does_not_come_back(client, two_orgs,
                                                                   private_redis):
    key = _logged_in(client, two_orgs)
    private_redis.proxy.cut()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    assert client.get(MY_TICKETS).status_code == 302
    private_redis.proxy.restore()
    assert client.get(MY_TICKETS).status_code == 302
    assert SessionStore(key).load() == {}


async def _set_language(session_key: str, language: str) -> None:
    store = SessionStore(session_key)
    await store.aset("language", language)  # aload()
    await store.asave()


async def _language(session_key: str) -> str | None:
    return await SessionStore(session_key).aget("language")


def test_the_async_variants_use_the_cache_too(client, two_orgs, private_redis,
                                              django_assert_num_queries):
    key = _logged_in(client, two_orgs)
    async_to_sync(_set_language)(key, "en")
    with django_assert_num_queries(0):
        assert async_to_sync(_language)(key) == "en"  # written through to the cache
    async_to_sync(SessionStore(key).adelete)()
    assert not private_redis.raw.exists(caches["default"].make_key(cache_key(key)))
    assert SessionStore(key).load() == {}
