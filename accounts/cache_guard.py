"""Calls to the shared cache (Redis in production) that survive its outage.

`guarded(operation)` runs one cache operation. When the cache cannot be reached it raises
CacheUnavailable, and for the next settings.CACHE_RETRY_SECONDS this process does not try
again (a dead Redis costs one short connect timeout per process and per retry period, not
one per call); callers then fall back to the database (sessions, permission sets) or to the
database cache (throttles).

What a process could not write or delete during the outage may be stale in Redis when it
returns (a Redis that kept its data, or a network cut): a permission revoked, a session
logged out. So a process that saw a failure runs the recovery hooks (each starts a new
generation of its cached entries, see accounts.sessions and accounts.permission_cache)
before its first cache call once Redis answers again, and only then makes that call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

try:  # the Redis client is there whenever REDIS_URL is used
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover
    RedisError = OSError

logger = logging.getLogger("accounts.cache")
T = TypeVar("T")

# The errors of an unreachable cache (connection refused, reset, timed out).
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
CACHE_DOWN_LOG = "Cache unreachable (%s): falling back for %s s"
CACHE_BACK_LOG = "Cache reachable again: cached sessions and permission sets renewed"


class CacheUnavailable(Exception):
    """The shared cache cannot be reached right now."""


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.retry_at = 0.0  # time.monotonic() before which the cache is not tried
        self.needs_recovery = False


_state = _State()
_recovery_hooks: list[Callable[[], None]] = []


def recovery_hook(hook: Callable[[], None]) -> Callable[[], None]:
    """Register `hook` (no arguments, raises on failure) to run once the cache is back."""
    _recovery_hooks.append(hook)
    return hook


def _mark_down(exc: BaseException) -> None:
    retry_seconds = settings.CACHE_RETRY_SECONDS
    with _state.lock:
        was_up = _state.retry_at <= time.monotonic()
        _state.retry_at = time.monotonic() + retry_seconds
        _state.needs_recovery = True
    if was_up:
        logger.warning(CACHE_DOWN_LOG, exc.__class__.__name__, retry_seconds)


def _recover() -> None:
    """Run the recovery hooks; the cache counts as down again if one of them fails."""
    try:
        for hook in _recovery_hooks:
            hook()
    except UNREACHABLE_ERRORS as exc:
        _mark_down(exc)
        raise CacheUnavailable from exc
    with _state.lock:
        _state.needs_recovery = False
    logger.warning(CACHE_BACK_LOG)


def guarded(operation: Callable[[], T]) -> T:
    """operation()'s result, or CacheUnavailable when the cache is (or was just seen) down."""
    if _state.retry_at > time.monotonic():
        raise CacheUnavailable
    if _state.needs_recovery:
        _recover()
    try:
        return operation()
    except UNREACHABLE_ERRORS as exc:
        _mark_down(exc)
        raise CacheUnavailable from exc


def best_effort(operation: Callable[[], object]) -> bool:
    """Run a cache write or delete that may be skipped while the cache is down (the reader
    falls back, and the recovery hooks renew what it would have replaced); whether it ran."""
    try:
        guarded(operation)
    except CacheUnavailable:
        return False
    return True


def reset_for_tests() -> None:
    with _state.lock:
        _state.retry_at = 0.0
        _state.needs_recovery = False
