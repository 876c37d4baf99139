"""Throttles counted in Django's cache (Redis in production).

Failed logins: at most LOGIN_FAILURE_LIMIT failures per (email, IP) within
LOGIN_FAILURE_WINDOW_SECONDS; a successful login clears the count.

Password-reset emails: at most PASSWORD_RESET_EMAIL_LIMIT requests per target address and
PASSWORD_RESET_IP_LIMIT per client IP within PASSWORD_RESET_WINDOW_SECONDS. Requests are
counted whether or not an account exists, and a refused request is only logged: the requester
sees the same "sent" page, so the throttle never tells which addresses have accounts.

Both count in fixed windows that start with their first event (_window_hit), which hold their
length on every cache backend.

With Redis down (accounts.cache_guard) the counts are kept in the database cache
(settings.THROTTLE_FALLBACK_CACHE) instead: logins and resets keep working and stay limited.
The two stores count apart, so a window that spans an outage allows at most twice the limit;
never a 500 and never unlimited guessing."""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata

from django.conf import settings
from django.core.cache import cache, caches

from .cache_guard import CacheUnavailable, guarded

logger = logging.getLogger("accounts.security")

RESET_THROTTLED_EMAIL_LOG = ("Password reset email withheld for %r requested from %s: "
                             "%d requests for this address in the window (limit %d)")
RESET_THROTTLED_IP_LOG = ("Password reset email withheld for %r requested from %s: "
                          "%d requests from this client in the window (limit %d)")


def _key(*, email: str, ip: str) -> str:
    """The login window's key (see _window_hit). Named apart from the plain counter that was
    kept under "login-failures:<digest>", so code of either kind running side by side during
    a deploy never increments the other's value."""
    digest = hashlib.sha256(f"{(email or '').strip().lower()}|{ip}".encode()).hexdigest()
    return f"login-failures:window:{digest}"


def client_ip(request) -> str:
    """The client's address: X-Forwarded-For only from TRUSTED_PROXIES (accounts.client_ip)."""
    from accounts.client_ip import client_ip as resolved

    return resolved(request)


def _counted(operation):
    """operation(store) on the shared cache, or on the database cache when it is down."""
    try:
        return guarded(lambda: operation(cache))
    except CacheUnavailable:
        return operation(caches[settings.THROTTLE_FALLBACK_CACHE])


def _window_counter_key(*, key: str, window_id: str) -> str:
    return f"{key}:{window_id}"


def _window_hit(*, key: str, window: int) -> int:
    return _counted(lambda store: _window_hit_in(store, key=key, window=window))


def _window_hit_in(store, *, key: str, window: int) -> int:
    """Count one event in a window that starts with its first event; return the count so far.

    The window is opened by an add() of a fresh id under `key` (expiring after `window`
    seconds); the counter lives under a key named after that id. Backends without a native
    incr (database, file) rewrite the counter with the default timeout on every incr, so the
    counter's expiry is renewed after each hit; once the window key expires the next hit opens
    a new window with a new counter, whatever became of the old one."""
    store.add(key, secrets.token_hex(8), timeout=window)
    window_id = store.get(key) or secrets.token_hex(8)  # expired in between: a new window
    counter = _window_counter_key(key=key, window_id=window_id)
    store.add(counter, 0, timeout=window)
    try:
        count = store.incr(counter)
    except ValueError:  # expired between add and incr
        store.set(counter, 1, timeout=window)
        count = 1
    store.touch(counter, timeout=window)
    return count


def _window_count(*, key: str) -> int:
    return _counted(lambda store: _window_count_in(store, key=key))


def _window_count_in(store, *, key: str) -> int:
    """The count so far in the window open under `key` (0 when none is open); counts nothing."""
    window_id = store.get(key)
    if window_id is None:
        return 0
    return store.get(_window_counter_key(key=key, window_id=window_id)) or 0


def _window_clear(*, key: str) -> None:
    _counted(lambda store: _window_clear_in(store, key=key))


def _window_clear_in(store, *, key: str) -> None:
    """Forget the window open under `key` and its count; the next hit opens a new window."""
    window_id = store.get(key)
    store.delete(key)
    if window_id is not None:
        store.delete(_window_counter_key(key=key, window_id=window_id))


def login_is_throttled(*, email: str, ip: str) -> bool:
    return _window_count(key=_key(email=email, ip=ip)) >= settings.LOGIN_FAILURE_LIMIT


def login_failure_record(*, email: str, ip: str) -> int:
    """Count one failure; the window starts with the first failure."""
    failures = _window_hit(key=_key(email=email, ip=ip),
                           window=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    logger.warning("Failed login for %r from %s (%d in window)", email, ip, failures)
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        logger.warning("Login throttled for %r from %s", email, ip)
    return failures


def login_failures_reset(*, email: str, ip: str) -> None:
    _window_clear(key=_key(email=email, ip=ip))


def _reset_key(*, scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"password-reset:{scope}:{digest}"


def _reset_email_normalized(*, email: str) -> str:
    """The address as Django's reset form matches it (case-insensitively, NFKC), so spelling
    variants of one address share one counter."""
    return unicodedata.normalize("NFKC", (email or "").strip()).casefold()


def password_reset_request_record(*, email: str, ip: str) -> bool:
    """Count one reset request for `email` from `ip`; False when it is over either limit and
    no email may be sent. Every request counts, refused ones included, so a client cannot
    slip more emails through by retrying, and concurrent requests cannot exceed the limits
    (the counters are incremented before they are compared)."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    by_email = _window_hit(key=_reset_key(scope="email",
                                          value=_reset_email_normalized(email=email)),
                           window=window)
    by_ip = _window_hit(key=_reset_key(scope="ip", value=ip), window=window)
    allowed = True
    if by_email > settings.PASSWORD_RESET_EMAIL_LIMIT:
        logger.warning(RESET_THROTTLED_EMAIL_LOG, email, ip, by_email,
                       settings.PASSWORD_RESET_EMAIL_LIMIT)
        allowed = False
    if by_ip > settings.PASSWORD_RESET_IP_LIMIT:
        logger.warning(RESET_THROTTLED_IP_LOG, email, ip, by_ip, settings.PASSWORD_RESET_IP_LIMIT)
        allowed = False
    return allowed
