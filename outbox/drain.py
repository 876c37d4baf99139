"""The worker's side of drained tasks (issue 16): one Celery run sends many emails.

The request records the row as handed to a drain and publishes at most one drain message
per flag (`services.outbox_drain_request`). A drain run claims up to
OUTBOX_DRAIN_BATCH waiting rows at a time (SELECT … FOR UPDATE SKIP LOCKED, then one
UPDATE writing its Celery id into `drain_run`, committed), runs each row's batch handler
over ONE mail backend connection and marks the rows that ended done in one UPDATE. So
Celery's and kombu's cost and the backend's connection setup are paid per batch. A task may
also register a preparer (`batch_preparer`) that reads and claims for all its rows of the
batch at once (the ticket emails: `mailgateway.outbound_services.outbound_batch_prepare`).

Exactly once is unchanged: each email is still claimed (committed) before it goes to the
backend and marked sent right after (`services.send_claim`), so a kill mid-batch leaves at
most the email in hand to be sent again. A killed drain's message comes back (acks late)
with the same id and takes back the rows it had claimed and not marked done (those already
sent are no-ops). A row whose handler raises (a busy claim, a backend or database error)
is handed to its own task, which retries and gives up as before (`retries=1`: this run was
its first attempt). Handlers are registered by the module of their task
(`batch_handler`), so this app imports none of the others.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from . import services
from .models import OutboxTask

logger = logging.getLogger(__name__)

_HANDLERS: dict[str, Callable] = {}
_PREPARERS: dict[str, Callable] = {}
FIRST_RETRY_SECONDS = 10  # as outbox.tasks.retry_countdown_seconds(0)


def batch_handler(name: str):
    """Register `handler(connection=…, **kwargs)` as the drained body of task `name`."""
    def register(handler: Callable) -> Callable:
        _HANDLERS[name] = handler
        return handler
    return register


def batch_preparer(name: str):
    """Register `preparer(kwargs_list=[…])` for task `name`: called once per batch with the
    kwargs of the batch's rows of that task; what it returns reaches each of their handler
    calls as `prepared=` (e.g. the rows' reads and claims done once for the batch). If it
    raises, the handlers run without it."""
    def register(preparer: Callable) -> Callable:
        _PREPARERS[name] = preparer
        return preparer
    return register


def outbox_drain(*, run_id: str = "", batch: int | None = None,
                 rounds: int | None = None) -> int:
    """Send what waits for a drain, `batch` rows at a time for at most `rounds` batches (then
    another drain is requested for the rest). The number of rows whose run ended.

    The flag stays up while the drain has rows to take, so the commits meanwhile publish no
    drain of their own: their rows join this drain's next batch (under load one drain runs
    and its batches grow, instead of one drain, and its Celery and claiming costs, per
    commit). Caught up, the drain clears the flag and looks once more: a row committed while
    the flag was up is claimable by then (its commit preceded the flag's check)."""
    run_id = run_id or f"drain-{uuid.uuid4().hex}"
    batch = batch or settings.OUTBOX_DRAIN_BATCH
    rounds = rounds or settings.OUTBOX_DRAIN_ROUNDS
    ended, flag_up = 0, True
    rows = _claim(run_id=run_id, limit=batch, mine=True)  # a redelivered run's own rows
    for _round in range(rounds):
        rows = rows or _claim(run_id=run_id, limit=batch)
        if not rows and flag_up:
            flag_up = _flag_clear()
            rows = _claim(run_id=run_id, limit=batch)
        if not rows:
            return ended
        ended += _run(rows)
        rows = []
    if flag_up:
        _flag_clear()
    services.outbox_drain_request(force=True)
    return ended


def _flag_clear() -> bool:
    """Clear the drain flag (it expires on its own otherwise): False, the flag's new state."""
    try:
        cache.delete(services.drain_flag_key())
    except Exception:
        logger.warning("outbox drain flag not cleared", exc_info=True)
    return False


def _claim(*, run_id: str, limit: int, mine: bool = False) -> list[OutboxTask]:
    waiting = {"drain_run": run_id if mine else services.DRAIN_WAITING}
    with transaction.atomic():
        rows = list(OutboxTask.objects.select_for_update(skip_locked=True)
                    .filter(name__in=settings.OUTBOX_DRAINED_TASKS, dispatched_at__isnull=False,
                            done_at__isnull=True, **waiting)
                    .order_by("dispatched_at", "id").only("id", "name", "kwargs")[:limit])
        if rows and not mine:
            OutboxTask.objects.filter(pk__in=[row.pk for row in rows]).update(drain_run=run_id)
    return rows


def _run(rows: list[OutboxTask]) -> int:
    connection = get_connection()
    try:
        connection.open()  # one connection for the batch (send_messages keeps it open)
    except Exception:  # each send opens its own and fails alone
        logger.warning("mail backend not opened for a drain batch", exc_info=True)
    try:
        prepared = _prepare(rows)
        ended = [row.pk for row in rows if _run_one(row, connection, prepared.get(row.name))]
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("mail backend connection not closed", exc_info=True)
    if ended:
        OutboxTask.objects.filter(pk__in=ended, done_at__isnull=True).update(
            done_at=timezone.now())
    return len(ended)


def _prepare(rows: list[OutboxTask]) -> dict[str, object]:
    """Each registered preparer's result for the batch's rows of its task."""
    prepared: dict[str, object] = {}
    for name in dict.fromkeys(row.name for row in rows):
        try:
            services.celery_task(name)  # imports the module that registers it
            preparer = _PREPARERS.get(name)
            if preparer is not None:
                prepared[name] = preparer(kwargs_list=[r.kwargs for r in rows if r.name == name])
        except Exception:  # each row's handler reads and claims for itself
            logger.warning("outbox drain batch of %s not prepared", name, exc_info=True)
    return prepared


def _run_one(row: OutboxTask, connection, prepared=None) -> bool:
    """True when the row's run ended here; False when it was handed to its own task."""
    try:
        services.celery_task(row.name)  # imports the module that registers the handler
        handler = _HANDLERS[row.name]
    except Exception as error:
        return _hand_over(row, countdown=0, retries=0, error=error)
    try:
        if prepared is None:
            handler(connection=connection, **row.kwargs)
        else:
            handler(connection=connection, prepared=prepared, **row.kwargs)
    except services.SendInProgress as busy:
        return _hand_over(row, countdown=busy.retry_in_seconds, retries=0, error=busy)
    except Exception as error:
        logger.warning("outbox task %s (%s) failed in a drain; retried as its own task",
                       row.pk, row.name, exc_info=True)
        return _hand_over(row, countdown=FIRST_RETRY_SECONDS, retries=1, error=error)
    return True


def _hand_over(row: OutboxTask, *, countdown: int, retries: int, error: Exception) -> bool:
    try:
        services.celery_task(row.name).apply_async(
            kwargs=row.kwargs, task_id=services.task_run_id(row.pk), countdown=countdown,
            retries=retries)
        OutboxTask.objects.filter(pk=row.pk).update(drain_run="",
                                                     last_error=repr(error)[:500])
    except Exception:  # still this run's: its redelivery or the sweep takes it again
        logger.exception("outbox task %s not handed to its own task", row.pk)
    return False
