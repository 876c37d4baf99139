"""Sessions read from Redis and written through to the database, that survive Redis going down.

Django 5.2's cached_db store already reads the database when the cache read fails (load) and
logs a failed cache write (save). Still unguarded there: the write-back after a database read
in load(), exists() (used when a new session key is made: every login) and delete() (logout,
every login's key change) — each a 500 while Redis is down. This store guards those too
(accounts.cache_guard: a dead Redis is tried once per CACHE_RETRY_SECONDS per process).

An entry is cached as (epoch, data), read together with the current epoch in one round trip;
an entry of another epoch is a miss. A session saved or deleted while Redis was down is then
stale in a Redis that kept its data: the recovery hook starts a new epoch before the process
that saw the outage reads the cache again, so no logged-out or outdated session comes back.
Cached entries live at most settings.SESSION_CACHE_MAX_AGE_SECONDS (the database keeps them
for their whole age), which bounds what a process that died in between could leave.
"""

from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import caches

from .cache_guard import CacheUnavailable, guarded, recovery_hook

EPOCH_KEY = "accounts:sessions:epoch"
# Apart from cached_db's own entries (plain dicts), which processes of the previous release
# may still read and write during a rolling deploy.
KEY_PREFIX = "accounts.sessions:v1:"


def _cache():
    return caches[settings.SESSION_CACHE_ALIAS]


@recovery_hook
def new_epoch() -> str:
    token = uuid.uuid4().hex
    _cache().set(EPOCH_KEY, token, None)
    return token


class SessionStore(CachedDBStore):
    cache_key_prefix = KEY_PREFIX
    _epoch: str | None = None

    def _cache_timeout(self, expiry=None) -> int:
        return min(self.get_expiry_age(expiry=expiry), settings.SESSION_CACHE_MAX_AGE_SECONDS)

    def load(self):
        key = self.cache_key
        try:
            found = guarded(lambda: self._cache.get_many([EPOCH_KEY, key]))
        except CacheUnavailable:
            return DBStore.load(self)
        self._epoch, entry = found.get(EPOCH_KEY), found.get(key)
        if self._epoch is not None and isinstance(entry, tuple) and entry[0] == self._epoch:
            return entry[1]
        stored = self._get_session_from_db()  # as cached_db.load() does
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        self._cache_write(key, data, self._cache_timeout(expiry=stored.expire_date))
        return data

    def _cache_write(self, key: str, data: dict, timeout: int) -> None:
        try:
            if self._epoch is None:
                self._epoch = guarded(new_epoch)
            guarded(lambda: self._cache.set(key, (self._epoch, data), timeout))
        except CacheUnavailable:
            pass  # read from the database next time

    def exists(self, session_key):
        if session_key:
            try:
                if guarded(lambda: self.cache_key_prefix + session_key in self._cache):
                    return True
            except CacheUnavailable:
                pass
        return DBStore.exists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        if self._epoch is not None:  # else (a new session not loaded): cached on its next read
            self._cache_write(self.cache_key, self._session, self._cache_timeout())

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            guarded(lambda: self._cache.delete(self.cache_key_prefix + session_key))
        except CacheUnavailable:
            pass  # the recovery hook's new epoch makes the cached copy a miss

    # cached_db's async variants would bypass the epoch: the same code, in a thread.
    async def aload(self):
        return await sync_to_async(self.load)()

    async def aexists(self, session_key):
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create=False):
        return await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key=None):
        return await sync_to_async(self.delete)(session_key)
