"""The helpdesk's configuration (the catalogue's departments and fields, the service-level
policies, the webhook endpoints) read once per process and generation instead of on every
request (issue 16: on the submit path these reads were a third of its queries).

A generation is a token in the shared cache (Redis), renewed after every commit that
changed a configuration model (post_save / post_delete of the models passed to `watch`;
none of them is changed by queryset.update()). A reader first reads the generation, then
uses its process's memo when that was loaded under the same generation, else loads from the
database and keeps the result under the generation it read BEFORE loading: what is kept
under a generation is never older than that generation's state.

Never served stale to the writer itself: a process that changed a configuration model
bypasses the memo until its change commits (its reads may see its own uncommitted rows,
which a rollback would take back). Without the cache (an outage, or the embedded default's
database cache) the memo is still checked against MAX_AGE_SECONDS, so a renewal lost in an
outage is seen at most that late.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)
T = TypeVar("T")

GENERATION_KEY = "helpdesk:config-memo:generation"
MAX_AGE_SECONDS = 30.0

_local = threading.local()  # per thread: the memo, its generation, the dirty flag


def _state():
    if not hasattr(_local, "values"):
        _local.values, _local.generation, _local.loaded_at, _local.dirty = {}, None, 0.0, False
    return _local


@functools.cache
def _redis():
    """One redis-py client per process, reused (Django's cache builds a client per call,
    which cost more than the read); its pool reconnects after a fork."""
    options = settings.CACHES["default"].get("OPTIONS", {})
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=options.get("socket_connect_timeout"),
        socket_timeout=options.get("socket_timeout"), retry_on_timeout=False)


_down_until = [0.0]  # after a failed read, the cache is left alone CACHE_RETRY_SECONDS


def _generation() -> str | None:
    """The current generation (made when there is none), or None when it cannot be read."""
    if time.monotonic() < _down_until[0]:
        return None
    try:
        if not settings.REDIS_URL:  # the tests' memo without Redis: Django's cache
            cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            return cache.get(GENERATION_KEY)
        client = _redis()
        generation = client.get(GENERATION_KEY)
        if generation is None:
            client.set(GENERATION_KEY, uuid.uuid4().hex, nx=True)
            generation = client.get(GENERATION_KEY)
        return generation.decode() if generation is not None else None
    except Exception:  # the memo's age alone decides until the cache answers again
        _down_until[0] = time.monotonic() + settings.CACHE_RETRY_SECONDS
        logger.warning("configuration generation not read", exc_info=True)
        return None


def current_generation() -> str | None:
    return _generation()


def enabled() -> bool:
    """Whether `memoized` keeps what it loads (not without Redis, nor for a writer before
    its commit): a caller whose memo loads more than it needs reads only that otherwise."""
    return settings.CONFIG_MEMO and not _state().dirty


def memoized(name: str, load: Callable[[], T]) -> T:
    """`load()`'s result, kept per process under the current generation."""
    state = _state()
    if not enabled():
        return load()
    generation, now = _generation(), time.monotonic()
    if now - state.loaded_at > MAX_AGE_SECONDS or (
            generation is not None and generation != state.generation):
        state.values, state.generation, state.loaded_at = {}, generation, now
    if name not in state.values:
        state.values[name] = load()
    return state.values[name]


def renew() -> None:
    """A new generation: every process reloads on its next read."""
    try:
        if settings.REDIS_URL:
            _redis().set(GENERATION_KEY, uuid.uuid4().hex)
        else:
            cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # the memos' age renews them
        logger.warning("configuration generation not renewed", exc_info=True)


def _committed() -> None:
    _state().dirty = False
    renew()


def _changed(sender, **kwargs) -> None:
    state = _state()
    state.dirty, state.values, state.generation = True, {}, None
    transaction.on_commit(_committed, robust=True)


def watch(*models) -> None:
    """Renew the generation after each commit that saved or deleted one of `models`."""
    for model in models:
        uid = f"config-memo:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete", weak=False)


def reset() -> None:
    """Forget this thread's memo and dirty flag (tests, between two of them)."""
    state = _state()
    state.values, state.generation, state.loaded_at, state.dirty = {}, None, 0.0, False
    _down_until[0] = 0.0
