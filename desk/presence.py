"""Who has a ticket open in the desk, and who is typing a reply (the collision notice).

Each open ticket page tells the server every few seconds (desk/views.live); the names
are kept in the cache (Redis) for PRESENCE_SECONDS. Best effort: while the cache is down
nobody is shown, and the desk works on.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from accounts.cache_guard import CacheUnavailable, best_effort, guarded

PRESENCE_SECONDS = 30


def _key(ticket_id: int) -> str:
    return f"desk:presence:{ticket_id}"


def _read(ticket_id: int) -> dict:
    try:
        return guarded(lambda: cache.get(_key(ticket_id))) or {}
    except CacheUnavailable:
        return {}


def touch(*, ticket_id: int, user, typing: bool = False) -> None:
    now = time.time()
    viewers = {k: v for k, v in _read(ticket_id).items() if now - v[1] < PRESENCE_SECONDS}
    viewers[user.pk] = (user.get_full_name(), now, typing)
    best_effort(lambda: cache.set(_key(ticket_id), viewers, PRESENCE_SECONDS))


def others(*, ticket_id: int, user) -> list[dict]:
    now = time.time()
    return [{"name": name, "typing": typing}
            for pk, (name, seen, typing) in sorted(_read(ticket_id).items())
            if pk != user.pk and now - seen < PRESENCE_SECONDS]
