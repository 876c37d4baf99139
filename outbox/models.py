"""The transactional outbox: tasks and emails recorded in the transaction of the change
that causes them, handed to the broker (or the mail backend) after commit.

The lowest layer: every app may record through `outbox.services`; this app imports none.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DRAIN_WAITING = "waiting"  # OutboxTask.drain_run of a row recorded for a drain


class OutboxTask(models.Model):
    """Run the Celery task `name` with `kwargs`. Dispatched after commit (best effort) and
    by the beat sweep while `dispatched_at` is empty; the task itself is idempotent.

    `done_at` is set when a run of the task ends (succeeded, or failed for good; not when
    it only schedules a retry). A row dispatched long ago and still not done had its broker
    message lost (Redis restarted without persistence, or a worker SIGKILLed between
    popping the message and recording it as unacknowledged: kombu's Redis transport pops
    with BRPOP first) and is dispatched again by the sweep (OUTBOX_REDISPATCH_AFTER_SECONDS)."""

    name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("handed to the broker"), null=True, blank=True)
    dispatch_attempts = models.PositiveIntegerField(_("dispatch attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    done_at = models.DateTimeField(_("run ended"), null=True, blank=True)
    # "" for a task handed to the broker as its own task; for tasks of OUTBOX_DRAINED_TASKS
    # "waiting" for a drain, then the Celery id of the drain run that claimed it (a
    # redelivery of that run takes its rows back), "" again once handed to its own task.
    drain_run = models.CharField(_("drained by"), max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        indexes = [
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True),
                         name="outbox_task_pending"),
            models.Index(fields=["dispatched_at"], name="outbox_task_dispatched"),
            models.Index(fields=["dispatched_at"], name="outbox_task_undone",
                         condition=Q(dispatched_at__isnull=False, done_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.idempotency_key}"


class SendClaimed(models.Model):
    """The fields `outbox.services.send_claim` works on, for every model of mail sent once:
    claimed (committed) before the mail goes to the backend, marked sent after."""

    claimed_at = models.DateTimeField(_("send claimed"), null=True, blank=True)
    send_attempts = models.PositiveIntegerField(_("send attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        abstract = True


class OutboxEmail(SendClaimed):
    """One email rendered when it was caused (notices, reminders, password resets) and
    sent once by `outbox.tasks.outbox_email_send`: claimed (committed) before it is handed
    to the backend, marked sent after. `keep_body=False`: the body (e.g. a password-reset
    link) is blanked once the email is sent or given up."""

    kind = models.CharField(_("kind"), max_length=40)
    to_address = models.CharField(_("to"), max_length=320)
    from_email = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    header_message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    keep_body = models.BooleanField(_("keep the body after sending"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    failed_at = models.DateTimeField(_("given up"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")
        indexes = [
            models.Index(fields=["created_at"],
                         condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                         name="outbox_email_pending"),
            models.Index(fields=["kind", "to_address", "created_at"], name="outbox_email_kind_to"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_address}"


class Heartbeat(models.Model):
    """The last time a process of a kind (e.g. "worker": a beat task run by a worker)
    proved it was alive; read by /readyz."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"
