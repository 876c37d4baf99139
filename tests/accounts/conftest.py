import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache.backends import db as db_cache
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Login failures and password-reset requests are counted in the cache: start every test
    empty, without flushing a shared Redis database (and without counts left by earlier runs
    throttling fixed addresses such as 127.0.0.1)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"accounts-tests-{uuid.uuid4().hex}"}}


# Native incr keeps a key's expiry (locmem, like Redis); the file and database caches (the
# latter is the embedded default) rewrite the key with the default timeout on incr.
@pytest.fixture(params=["locmem.LocMemCache", "filebased.FileBasedCache", "db.DatabaseCache"])
def cache_backend(request, settings, tmp_path):
    """Runs the test once on each of these cache backends, empty (the database cache's table
    is rolled back with the test's transaction)."""
    backend = request.param
    location = {"locmem.LocMemCache": f"throttle-window-{uuid.uuid4().hex}",
                "filebased.FileBasedCache": str(tmp_path / "cache"),
                "db.DatabaseCache": "helpdesk_cache"}[backend]
    settings.CACHES = {"default": {"BACKEND": f"django.core.cache.backends.{backend}",
                                   "LOCATION": location}}
    if backend == "db.DatabaseCache":
        # With Redis configured (the PostgreSQL run) the test database has no cache table:
        # created inside the test's transaction, it goes with the rollback.
        call_command("createcachetable", "helpdesk_cache", verbosity=0)
    return backend


@pytest.fixture
def clock(monkeypatch):
    """Moves the cache backends' clock forward instead of sleeping: time.time() (locmem and
    file caches, every backend's expiry when a key is written) and the database cache's
    tz_now (its expiry check)."""

    class Clock:
        offset = 0.0

        def advance(self, seconds: float) -> None:
            self.offset += seconds

    clock, real_time, real_tz_now = Clock(), time.time, db_cache.tz_now
    monkeypatch.setattr(time, "time", lambda: real_time() + clock.offset)
    monkeypatch.setattr(db_cache, "tz_now",
                        lambda: real_tz_now() + timedelta(seconds=clock.offset))
    return clock
