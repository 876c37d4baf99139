"""Health endpoints for load balancers and orchestrators, answered by HealthCheckMiddleware
(helpdesk.middleware), first in MIDDLEWARE: before the Host check, the SSL redirect, the
session or the CSP, so a probe by IP address (Host: 127.0.0.1:8000) works with any
ALLOWED_HOSTS.

`GET /healthz`: the process answers (no database, cache or session work).
`GET /readyz`: every dependency, each check named in the JSON body as "ok" or "failed" (the
detail of a failure, e.g. an exception naming a host or a user, is logged, never shown);
503 naming what failed:
- database: a query on the default database;
- redis: PING on REDIS_URL (skipped in the embedded default, which has no Redis);
- worker_heartbeat: a worker ran the beat task `outbox.tasks.worker_heartbeat` less than
  READY_HEARTBEAT_MAX_AGE_SECONDS ago (skipped when tasks run in-process);
- pending_mail: no email (ticket mail, notices) nor outbox task still unsent after
  READY_PENDING_MAIL_MINUTES.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("helpdesk.health")
REDIS_TIMEOUT_SECONDS = 2
PATHS = {"/healthz", "/healthz/", "/readyz", "/readyz/"}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "skipped": "no REDIS_URL"}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _worker_heartbeat() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "skipped": "tasks run in-process"}
    from outbox.selectors import heartbeat_age_seconds

    age = heartbeat_age_seconds()
    limit = settings.READY_HEARTBEAT_MAX_AGE_SECONDS
    if age is None:
        return {"ok": False, "error": "no worker heartbeat recorded", "max_age_seconds": limit}
    return {"ok": age <= limit, "age_seconds": round(age, 1), "max_age_seconds": limit}


def _pending_mail() -> dict:
    from mailgateway.selectors import outbound_pending_count
    from outbox.selectors import pending_older_than

    minutes = settings.READY_PENDING_MAIL_MINUTES
    counts = {"ticket_emails": outbound_pending_count(older_than_minutes=minutes),
              **{f"outbox_{k}": v for k, v in pending_older_than(minutes=minutes).items()}}
    return {"ok": not any(counts.values()), "older_than_minutes": minutes, **counts}


CHECKS = {"database": _database, "redis": _redis, "worker_heartbeat": _worker_heartbeat,
          "pending_mail": _pending_mail}


def _run(name: str, check) -> bool:
    """Whether the check passed; a failure's detail goes to the log only."""
    try:
        result = check()
    except Exception:  # a check that cannot run has failed
        logger.warning("readyz: check %s could not run", name, exc_info=True)
        return False
    if not result["ok"]:
        logger.warning("readyz: check %s failed: %s", name, result)
    return result["ok"]


@never_cache
@require_GET
def readyz(request):
    passed = {name: _run(name, check) for name, check in CHECKS.items()}
    failed = [name for name, ok in passed.items() if not ok]
    body = {"status": "fail" if failed else "ok", "failed": failed,
            "checks": {name: "ok" if ok else "failed" for name, ok in passed.items()}}
    return JsonResponse(body, status=503 if failed else 200)


VIEWS = {"/healthz": healthz, "/readyz": readyz}


def view_for(path: str):
    """The health view answering this path (with or without a trailing slash), else None."""
    return VIEWS[path.rstrip("/")] if path in PATHS else None
