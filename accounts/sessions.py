"""Sessions read from Redis and written through to the database, that survive Redis going down.

Built on Django's public session API only: the database store
(django.contrib.sessions.backends.db.SessionStore: load/save/exists/delete, and its documented
extension hooks get_model_class() and create_model_instance()), the session model's
get_decoded() and expire_date, and SessionBase.get_expiry_age(expiry=...). The cache in front
of it is ours:

- load(): one cache round trip (the entry and the current epoch together, MGET), no query,
  when the entry is cached; else one query, and the entry is cached until the row's
  expire_date (at most settings.SESSION_CACHE_MAX_AGE_SECONDS).
- save(): the database first (a session survives a Redis restart), then the cache.
- delete() (logout, flush, a login's cycle_key): the database row and the cached entry.
- exists() (a new session key's collision check): the database alone, which write-through
  keeps authoritative.

Every cache call goes through accounts.cache_guard: with Redis down the database answers, never
a 500, and a dead Redis is tried once per CACHE_RETRY_SECONDS per process.

An entry is cached as (epoch, data); an entry of another epoch is a miss. A session saved or
deleted while Redis was down may be stale in a Redis that kept its data: the recovery hook
starts a new epoch before the process that saw the outage reads the cache again, so no
logged-out or outdated session comes back. Cached entries live at most
SESSION_CACHE_MAX_AGE_SECONDS, which bounds what a process that died in between could leave.
"""

from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import caches
from django.utils import timezone

from .cache_guard import CacheUnavailable, best_effort, guarded, recovery_hook

EPOCH_KEY = "accounts:sessions:epoch"
# Apart from cached_db's own entries (plain dicts), which processes of an older release may
# still read and write during a rolling deploy. Same prefix and (epoch, data) format as the
# previous accounts.sessions, so both can run side by side.
KEY_PREFIX = "accounts.sessions:v1:"


def _cache():
    return caches[settings.SESSION_CACHE_ALIAS]


def cache_key(session_key: str) -> str:
    return KEY_PREFIX + session_key


@recovery_hook
def new_epoch() -> str:
    token = uuid.uuid4().hex
    _cache().set(EPOCH_KEY, token, None)
    return token


class SessionStore(DBStore):
    # The epoch this store read with its entry; None: not read from the cache (Redis down, or
    # a new session), and then save() leaves the cache alone (cached on the next read).
    _epoch: str | None = None
    _written = None  # (data, expire_date) that create_model_instance() handed to save()

    def _cache_timeout_seconds(self, expire_date) -> int:
        return min(self.get_expiry_age(expiry=expire_date),
                   settings.SESSION_CACHE_MAX_AGE_SECONDS)

    def load(self):
        key = self.session_key
        try:
            found = guarded(lambda: _cache().get_many([EPOCH_KEY, cache_key(key)]))
        except CacheUnavailable:
            return super().load()
        self._epoch, entry = found.get(EPOCH_KEY), found.get(cache_key(key))
        if self._epoch is not None and isinstance(entry, tuple) and entry[0] == self._epoch:
            return entry[1]
        row = (self.get_model_class().objects
               .filter(session_key=key, expire_date__gt=timezone.now()).first())
        if row is None:
            # No such session (expired, deleted, or a made-up key): the database store's own
            # answer, which also drops the key so that no session is saved under it.
            return super().load()
        data = row.get_decoded()
        self._cache_write(key, data, row.expire_date)
        return data

    def _cache_write(self, key: str, data: dict, expire_date) -> None:
        timeout_seconds = self._cache_timeout_seconds(expire_date)
        try:
            if self._epoch is None:
                self._epoch = guarded(new_epoch)
            entry = (self._epoch, data)
            guarded(lambda: _cache().set(cache_key(key), entry, timeout_seconds))
        except CacheUnavailable:
            pass  # read from the database next time

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        self._written = (data, instance.expire_date)
        return instance

    def save(self, must_create=False):
        self._written = None
        super().save(must_create=must_create)  # a new key: create(), which saves here again
        written, self._written = self._written, None  # so that it is cached once
        if self._epoch is not None and written is not None:
            data, expire_date = written
            self._cache_write(self.session_key, data, expire_date)

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        super().delete(session_key)
        if session_key is None:
            return
        # Cache down: the recovery hook's new epoch makes the cached copy a miss.
        best_effort(lambda: _cache().delete(cache_key(session_key)))

    # The database store's async variants would bypass the cache: the same code, in a thread.
    # (acreate, acycle_key and aflush call these; aexists is the database store's own.)
    async def aload(self):
        return await sync_to_async(self.load)()

    async def asave(self, must_create=False):
        return await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key=None):
        return await sync_to_async(self.delete)(session_key)
