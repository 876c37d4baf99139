"""Failed-login throttling: at most LOGIN_FAILURE_LIMIT failures per (email, IP) within
LOGIN_FAILURE_WINDOW_SECONDS, counted in Django's cache (Redis in production)."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("accounts.security")


def _key(*, email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{(email or '').strip().lower()}|{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def login_is_throttled(*, email: str, ip: str) -> bool:
    return (cache.get(_key(email=email, ip=ip)) or 0) >= settings.LOGIN_FAILURE_LIMIT


def login_failure_record(*, email: str, ip: str) -> int:
    """Count one failure; the window starts with the first failure."""
    key = _key(email=email, ip=ip)
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    if cache.add(key, 1, timeout=window):
        failures = 1
    else:
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            failures = 1
    logger.warning("Failed login for %r from %s (%d in window)", email, ip, failures)
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        logger.warning("Login throttled for %r from %s", email, ip)
    return failures


def login_failures_reset(*, email: str, ip: str) -> None:
    cache.delete(_key(email=email, ip=ip))
