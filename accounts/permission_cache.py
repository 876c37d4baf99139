"""Each user's permission set, kept in the shared cache between requests.

Django's ModelBackend reads a user's permissions with two joined queries on every request
that checks one (every admin page does). The set rarely changes, so it is kept in the
cache under a generation token: any change to a group's or a user's permissions or group
memberships (the m2m and model signals below) starts a new generation, which every process
sees on its next request, so a revoked permission stops working at once. Changes made
behind the ORM's back (raw SQL) take effect within MAX_AGE_SECONDS.

On with Redis (settings.PERMISSION_CACHE); with the embedded default the cache is a database
table, where a cache read costs what it would save.

With Redis down the set is computed from the database (accounts.cache_guard). A generation
that could not be written then (a permission changed during the outage) is written by the
process that saw the outage before its first cache read once Redis is back (its recovery
hook), so no set cached before the change is served again; at worst, by a process that
died in between, MAX_AGE_SECONDS later.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .cache_guard import CacheUnavailable, best_effort, guarded, recovery_hook

MAX_AGE_SECONDS = 300
GENERATION_KEY = "accounts:perms:generation"


def _user_key(user_id: int) -> str:
    return f"accounts:perms:user:{user_id}"


def cached_permissions(*, user_id: int, compute: Callable[[], set[str]]) -> set[str]:
    """The user's permission strings from the cache, or compute() stored for next time.
    One cache round trip when the set is cached; compute() alone when the cache is down."""
    key = _user_key(user_id)
    try:
        found = guarded(lambda: cache.get_many([GENERATION_KEY, key]))
        generation = found.get(GENERATION_KEY)
        entry = found.get(key)
        if generation is not None and entry is not None and entry[0] == generation:
            return set(entry[1])
        if generation is None:
            generation = guarded(_new_generation)
    except CacheUnavailable:
        return compute()
    permissions = compute()
    best_effort(lambda: cache.set(key, (generation, sorted(permissions)), MAX_AGE_SECONDS))
    return permissions


@recovery_hook
def _new_generation() -> str:
    token = uuid.uuid4().hex
    cache.set(GENERATION_KEY, token, None)
    return token


def _new_generation_guarded() -> None:
    """A new generation, or (cache down) one written by the recovery hook when it is back."""
    best_effort(_new_generation)


def permissions_changed(**_kwargs) -> None:
    """Every cached permission set is stale from now on, and again once the change is
    committed: a request that read the old rows between the signal and the commit may have
    cached them under the first new generation."""
    if settings.PERMISSION_CACHE:
        _new_generation_guarded()
        transaction.on_commit(_new_generation_guarded)


def connect_signals() -> None:
    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through,
                     Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=through,
                            dispatch_uid=f"perm-cache-m2m-{through._meta.label}")
    for model in (Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(permissions_changed, sender=model,
                           dispatch_uid=f"perm-cache-{signal}-{model._meta.label}")
    # A saved user may have lost is_superuser (whose set is every permission): drop theirs.
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="perm-cache-user-saved")


def _user_saved(*, instance, **_kwargs) -> None:
    if settings.PERMISSION_CACHE:
        key = _user_key(instance.pk)

        def drop() -> None:  # cache down: the recovery hook's new generation drops it
            best_effort(lambda: cache.delete(key))

        drop()
        transaction.on_commit(drop)
