"""Business actions of the outbox: record tasks and emails in the caller's transaction,
dispatch them after commit, claim and mark sends, prune, and the worker heartbeat.

Recording: `outbox_task_record` writes "run task T with kwargs K" in the transaction of the
change (every app records through it; this app imports none of them). After commit the
row is handed to the broker, best effort: a broker error is logged, never raised to the
user. The beat job `outbox.tasks.outbox_sweep` dispatches every row still undispatched
after OUTBOX_DISPATCH_AFTER_SECONDS, so a broker outage delays the work, never loses it.

Sending exactly once (`send_claim`, used for outbox emails and the mail gateway's ticket
mail): a committed conditional UPDATE claims the row before it goes to the backend, and
it is marked sent after. A row already sent is never sent again; a concurrent duplicate
of the task (a redelivery while the first still runs) finds the claim held and waits for
it (`SendInProgress`). Only a worker killed between handing the mail to the backend and
marking it sent leads to one more send, once the claim (OUTBOX_SEND_CLAIM_SECONDS) has
expired; the provider cannot tell the two apart, with the same Message-ID reused: SMTP
(Django's backend, any MTA: the message may have been queued before the kill) and every
anymail ESP backend (their send APIs take no idempotency key through anymail), so mail
clients thread and de-duplicate the copy by its Message-ID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
import math
import time
import uuid
from email.utils import make_msgid

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import DRAIN_WAITING, Heartbeat, OutboxEmail, OutboxTask, SendClaimed

logger = logging.getLogger(__name__)

CLAIMED, SENT, FAILED, GONE = "claimed", "sent", "failed", "gone"
DISPATCHED, SKIPPED = "dispatched", "skipped"
SWEEP_MAX = 500  # rows per sweep; the next run takes the rest
PRUNE_CHUNK = 5000
WORKER = "worker"
RUN_ID_PREFIX = "outbox-"


class SendInProgress(Exception):
    """Another run holds a fresh claim on this row: try again once it has expired."""

    def __init__(self, retry_in_seconds: int):
        super().__init__(f"send claimed by another run; retry in {retry_in_seconds}s")
        self.retry_in_seconds = retry_in_seconds


# --- tasks -------------------------------------------------------------------------------

def outbox_task_record(*, name: str, kwargs: dict, idempotency_key: str = "") -> OutboxTask:
    """Record "run task `name` with `kwargs`" in the caller's transaction (one INSERT);
    dispatched after commit. `idempotency_key` (unique) names what the task does, e.g.
    "outbox-email:<id>"; recording the same key twice is a programming error.

    A task of OUTBOX_DRAINED_TASKS (not eager) is recorded as handed to a drain: after
    commit one `outbox.tasks.outbox_drain` message is published unless one is queued
    already (`outbox_drain_request`); no read and no UPDATE of the row in the request."""
    drained = name in settings.OUTBOX_DRAINED_TASKS and not _eager()
    row = OutboxTask.objects.create(
        name=name, kwargs=kwargs, idempotency_key=(idempotency_key or
                                                   f"{name}:{uuid.uuid4().hex}")[:255],
        **({"dispatched_at": timezone.now(), "dispatch_attempts": 1,
           "drain_run": DRAIN_WAITING} if drained else {}))
    task_id = row.pk

    def dispatch_after_commit() -> None:
        if drained:
            outbox_drain_request(task_ids=[task_id])
        else:
            outbox_task_dispatch(task_id=task_id, name=name, kwargs=kwargs)

    transaction.on_commit(dispatch_after_commit, robust=True)
    return row


def _eager() -> bool:
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def celery_task(name: str):
    from celery import current_app

    importlib.import_module(name.rsplit(".", 1)[0])  # registers the task in this process
    return current_app.tasks[name]


# Broker URL -> time.monotonic() until which this process leaves dispatching to the sweep:
# during an outage a request pays the broker's connection timeout once per pause, not on
# every commit.
_broker_paused_until: dict[str, float] = {}


def _broker_url() -> str:
    from celery import current_app

    return str(current_app.conf.broker_url)


def task_run_id(task_pk: int) -> str:
    """The Celery task id of one dispatch of an outbox row (kept across the run's retries):
    how a worker's run finds its row (`outbox_task_done`)."""
    return f"{RUN_ID_PREFIX}{task_pk}-{uuid.uuid4().hex[:12]}"


def outbox_task_pk(run_id: str | None) -> int | None:
    """The outbox row of a Celery task id, None for a task the outbox did not dispatch."""
    if not run_id or not run_id.startswith(RUN_ID_PREFIX):
        return None
    number = run_id[len(RUN_ID_PREFIX):].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def _pause_broker() -> None:
    _broker_paused_until[_broker_url()] = (time.monotonic()
                                           + settings.OUTBOX_DISPATCH_PAUSE_SECONDS)


def outbox_task_dispatch(*, task_id: int, force: bool = False, again: bool = False,
                         name: str | None = None, kwargs: dict | None = None) -> str:
    """Hand one recorded task to the broker as its own task (eager mode: run it). Never
    raises: a broker error is logged and recorded on the row, which the sweep dispatches
    later; for OUTBOX_DISPATCH_PAUSE_SECONDS after it this process leaves new rows to the
    sweep (`force`: the sweep itself, which tries anyway). `again`: a row dispatched before
    whose run never ended (its broker message was lost). `name` and `kwargs`: the caller
    just recorded the row (after its commit), which is not read again."""
    if not force and time.monotonic() < _broker_paused_until.get(_broker_url(), 0.0):
        return FAILED
    if name is None:
        waiting = (Q(dispatched_at__isnull=False, done_at__isnull=True) if again
                   else Q(dispatched_at__isnull=True))
        try:
            row = OutboxTask.objects.filter(waiting, pk=task_id).values("name", "kwargs").first()
        except Exception:  # the database went away after the commit: the sweep has the row
            logger.exception("outbox task %s: not read after commit", task_id)
            return FAILED
        if row is None:
            return SKIPPED
        name, kwargs = row["name"], row["kwargs"]
    try:
        celery_task(name).apply_async(kwargs=kwargs, task_id=task_run_id(task_id))
    except Exception as error:  # the change is committed; the sweep will try again
        logger.warning("outbox task %s (%s) not dispatched: %r", task_id, name, error)
        _pause_broker()
        try:
            OutboxTask.objects.filter(pk=task_id).update(
                dispatch_attempts=F("dispatch_attempts") + 1, last_error=repr(error)[:500])
        except Exception:
            logger.exception("could not record the dispatch failure of outbox task %s", task_id)
        return FAILED
    try:
        marked = Q(pk=task_id) if again else Q(pk=task_id, dispatched_at__isnull=True)
        OutboxTask.objects.filter(marked).update(
            dispatched_at=timezone.now(), dispatch_attempts=F("dispatch_attempts") + 1,
            last_error="", drain_run="")
    except Exception:  # dispatched but not marked: the sweep sends a harmless duplicate
        logger.exception("outbox task %s dispatched but not marked", task_id)
    return DISPATCHED


def outbox_task_done(*, task_id: int) -> bool:
    """A run of the row's task ended (succeeded, or failed for good): the sweep leaves it.
    Called by the worker (outbox.signals); True when this call marked it."""
    return bool(OutboxTask.objects.filter(pk=task_id, done_at__isnull=True)
                .update(done_at=timezone.now()))


def _sweep(ids: list[int], *, again: bool) -> int:
    dispatched = 0
    for task_id in ids:
        outcome = outbox_task_dispatch(task_id=task_id, force=True, again=again)
        if outcome == FAILED:
            break
        dispatched += outcome == DISPATCHED
    return dispatched


def outbox_tasks_sweep(*, older_than_seconds: float | None = None,
                       lost_after_seconds: float | None = None, limit: int = SWEEP_MAX
                       ) -> int:
    """Dispatch the rows still undispatched after N seconds (a broker outage at commit, a
    process that died before its on-commit hook), then the rows dispatched more than
    OUTBOX_REDISPATCH_AFTER_SECONDS ago whose run never ended (the broker lost the
    message; at most OUTBOX_DISPATCH_MAX dispatches in all, so a task that kills its worker
    every time is not sent forever). Stops at the first broker error. The number dispatched."""
    if older_than_seconds is None:
        older_than_seconds = settings.OUTBOX_DISPATCH_AFTER_SECONDS
    if lost_after_seconds is None:
        lost_after_seconds = settings.OUTBOX_REDISPATCH_AFTER_SECONDS
    now = timezone.now()
    ids = list(OutboxTask.objects.filter(
        dispatched_at__isnull=True, created_at__lte=now - dt.timedelta(seconds=older_than_seconds))
        .order_by("id").values_list("id", flat=True)[:limit])
    dispatched = _sweep(ids, again=False)
    if dispatched:
        logger.info("outbox sweep dispatched %d pending tasks", dispatched)
    lost = list(OutboxTask.objects.filter(
        dispatched_at__lte=now - dt.timedelta(seconds=lost_after_seconds), done_at__isnull=True,
        dispatch_attempts__lt=settings.OUTBOX_DISPATCH_MAX).order_by("dispatched_at", "id").values_list("id", flat=True)[:limit])
    again = _sweep(lost, again=True)
    if again:
        logger.warning("outbox sweep dispatched again %d tasks whose run never ended", again)
    if OutboxTask.objects.filter(
            dispatched_at__lte=now - dt.timedelta(seconds=older_than_seconds),
            done_at__isnull=True, drain_run=DRAIN_WAITING).exists():
        # Waiting for a drain that never came (its request died before publishing, or
        # the drain's message was lost): one more drain, whatever the flag says.
        outbox_drain_request(force=True)
    return dispatched + again


# --- drain requests (the worker's side is outbox.drain) --------------------------------------

DRAIN_TASK = "outbox.tasks.outbox_drain"


def drain_flag_key() -> str:
    """The cache key saying "a drain message is queued on this broker" (per broker URL)."""
    return f"outbox-drain:{hashlib.sha1(_broker_url().encode()).hexdigest()[:16]}"


def outbox_drain_request(*, task_ids: list[int] | tuple = (), force: bool = False) -> str:
    """After the commit of drained rows: publish one drain message unless the flag says
    one is queued (a drain clears the flag before it claims, so a row committed before a
    failed `cache.add` is claimed by the flag's drain). Never raises. A broker error (or this
    process's pause) puts `task_ids` back to undispatched for the sweep, which dispatches
    them one by one. `force` (the sweep): publish whatever the flag and the pause say."""
    if not force and time.monotonic() < _broker_paused_until.get(_broker_url(), 0.0):
        _undispatch(task_ids, error="")
        return FAILED
    key = drain_flag_key()
    try:
        if not cache.add(key, 1, timeout=settings.OUTBOX_DRAIN_FLAG_SECONDS) and not force:
            return SKIPPED
    except Exception as error:  # no cache: publish anyway (a drain too many is harmless)
        logger.warning("outbox drain flag not read: %r", error)
    try:
        celery_task(DRAIN_TASK).apply_async()
    except Exception as error:  # the changes are committed; the sweep will try again
        logger.warning("outbox drain not requested: %r", error)
        _pause_broker()
        try:
            cache.delete(key)
        except Exception:
            logger.warning("outbox drain flag not cleared", exc_info=True)
        _undispatch(task_ids, error=repr(error))
        return FAILED
    return DISPATCHED


def _undispatch(task_ids, *, error: str) -> None:
    """Rows recorded as handed to a drain whose request did not reach the broker."""
    if not task_ids:
        return
    fields = ({"last_error": error[:500]} if error
              else {"dispatch_attempts": F("dispatch_attempts") - 1})
    try:
        OutboxTask.objects.filter(pk__in=list(task_ids), drain_run=DRAIN_WAITING,
                                  done_at__isnull=True).update(dispatched_at=None,
                                                               drain_run="", **fields)
    except Exception:  # still marked as handed to a drain: the sweep requests one
        logger.exception("outbox tasks %s: dispatch failure not recorded", list(task_ids))


# --- claims ------------------------------------------------------------------------------

def _claimable(now) -> Q:
    """Rows no run holds: never claimed, or claimed longer than OUTBOX_SEND_CLAIM_SECONDS ago."""
    return Q(claimed_at__isnull=True) | Q(
        claimed_at__lt=now - dt.timedelta(seconds=settings.OUTBOX_SEND_CLAIM_SECONDS))


def send_claim(*, model: type[SendClaimed], pk: int) -> str:
    """Claim one row (a SendClaimed model's fields) for sending, committed
    before the caller hands the mail to its backend: CLAIMED, SENT or GONE; raises
    SendInProgress while another run's claim is fresh. Must not run inside the caller's
    transaction (the claim has to survive a kill)."""
    now = timezone.now()
    claim_seconds = settings.OUTBOX_SEND_CLAIM_SECONDS
    with transaction.atomic():
        updated = model.objects.filter(_claimable(now), pk=pk, sent_at__isnull=True).update(
            claimed_at=now, send_attempts=F("send_attempts") + 1)
    if updated:
        return CLAIMED
    row = model.objects.filter(pk=pk).values("sent_at", "claimed_at").first()
    if row is None:
        return GONE
    if row["sent_at"] is not None:
        return SENT
    held = (now - row["claimed_at"]).total_seconds()
    raise SendInProgress(max(1, math.ceil(claim_seconds - held)))


def send_claim_many(*, model: type[SendClaimed], pks: list[int]) -> set[int]:
    """`send_claim` for a batch: the rows among `pks` claimed here, committed in one
    transaction (rows locked or claimed by another run, or sent, are left out: the caller
    claims those one by one). Must not run inside the caller's transaction."""
    if not pks:
        return set()
    now = timezone.now()
    with transaction.atomic():
        claimed = set(model.objects.select_for_update(skip_locked=True)
                      .filter(_claimable(now), pk__in=pks, sent_at__isnull=True)
                      .values_list("pk", flat=True))
        if claimed:
            model.objects.filter(pk__in=claimed).update(
                claimed_at=now, send_attempts=F("send_attempts") + 1)
    return claimed


def send_release(*, model: type[SendClaimed], pk: int) -> None:
    """The backend refused the send (an exception): free the claim so that the retry sends
    at once. (An error after the provider took the message, e.g. a timeout waiting for
    SMTP's final reply, is the same can't-tell window: the retry may send a second copy.)"""
    model.objects.filter(pk=pk, sent_at__isnull=True).update(claimed_at=None)


# --- emails ------------------------------------------------------------------------------

def outbox_email_record(*, kind: str, to_address: str, subject: str, body_text: str,
                        body_html: str = "", headers: dict | None = None,
                        from_email: str = "", keep_body: bool = True) -> OutboxEmail:
    """Record one rendered email in the caller's transaction; sent after commit by
    `outbox.tasks.outbox_email_send`, exactly once (see the module's docstring)."""
    email = OutboxEmail.objects.create(
        kind=kind, to_address=to_address, subject=" ".join(subject.split())[:500],
        body_text=body_text, body_html=body_html, headers=dict(headers or {}),
        from_email=from_email, keep_body=keep_body,
        header_message_id=make_msgid(domain=settings.MAIL_MESSAGE_ID_DOMAIN))
    outbox_task_record(name="outbox.tasks.outbox_email_send", kwargs={"email_id": email.pk},
                       idempotency_key=f"outbox-email:{email.pk}")
    return email


def _email_build(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body_text,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL, to=[email.to_address],
        headers={**email.headers, "Message-ID": email.header_message_id})
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _body_fields(email: OutboxEmail) -> dict:
    return {} if email.keep_body else {"body_text": "", "body_html": ""}


def outbox_email_send(*, email_id: int, connection=None) -> str:
    """Send one recorded email unless it was sent or given up: SENT, FAILED or GONE;
    SendInProgress while another run holds it. A backend error propagates (the task
    retries it with the same Message-ID). `connection`: a mail backend connection the
    caller holds open (a drain's batch)."""
    email = OutboxEmail.objects.filter(pk=email_id).first()
    if email is None:
        return GONE
    if email.sent_at is not None:
        return SENT
    if email.failed_at is not None:
        return FAILED
    claimed = send_claim(model=OutboxEmail, pk=email_id)
    if claimed != CLAIMED:
        return claimed
    message = _email_build(email)
    if connection is not None:
        message.connection = connection
    try:
        message.send(fail_silently=False)
    except Exception:
        send_release(model=OutboxEmail, pk=email_id)
        raise
    OutboxEmail.objects.filter(pk=email_id).update(sent_at=timezone.now(), failure_reason="",
                                                   **_body_fields(email))
    return SENT


def outbox_email_give_up(*, email_id: int, reason: str) -> None:
    """The last attempt failed: record it (and drop a body that must not be kept)."""
    email = OutboxEmail.objects.filter(pk=email_id, sent_at__isnull=True).first()
    if email is None:
        return
    logger.error("outbox email %s (%s to %s) given up: %s", email.pk, email.kind,
                 email.to_address, reason)
    OutboxEmail.objects.filter(pk=email_id).update(failed_at=timezone.now(),
                                                   failure_reason=reason[:500],
                                                   **_body_fields(email))


# --- retention and heartbeat ---------------------------------------------------------------

def _delete_in_chunks(queryset) -> int:
    deleted = 0
    while True:
        ids = list(queryset.order_by("id").values_list("id", flat=True)[:PRUNE_CHUNK])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]


def outbox_prune(*, older_than_days: int | None = None) -> dict[str, int]:
    """Delete outbox rows done more than N days ago (OUTBOX_RETENTION_DAYS): tasks handed to
    the broker, emails sent or given up. Pending rows are never pruned; a pending email
    whose body must not be kept (a reset link) is given up once the link has expired
    (PASSWORD_RESET_TIMEOUT). Idempotent."""
    if older_than_days is None:
        older_than_days = settings.OUTBOX_RETENTION_DAYS
    now = timezone.now()
    cutoff = now - dt.timedelta(days=older_than_days)
    expired = now - dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    OutboxEmail.objects.filter(keep_body=False, sent_at__isnull=True, failed_at__isnull=True,
                               created_at__lt=expired).update(
        failed_at=now, failure_reason="expired", body_text="", body_html="")
    return {
        "tasks": _delete_in_chunks(OutboxTask.objects.filter(dispatched_at__lt=cutoff)),
        "emails": _delete_in_chunks(OutboxEmail.objects.filter(
            Q(sent_at__lt=cutoff) | Q(failed_at__lt=cutoff))),
    }


def heartbeat_record(*, name: str = WORKER) -> Heartbeat:
    row, _created = Heartbeat.objects.update_or_create(name=name,
                                                       defaults={"beat_at": timezone.now()})
    return row
