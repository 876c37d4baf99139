"""Celery tasks: processing is idempotent, failures are recorded and retried, the beat job
re-queues what was left pending, and tasks carry the reliability options."""

import datetime as dt

import pytest
from django.utils import timezone

from mailgateway import tasks
from mailgateway.models import InboundMessage
from mailgateway.sources import inbound_accept, inbound_accept_many
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(two_orgs):
    return TicketFactory.create(requester=two_orgs.maria)


def store(raw: bytes) -> InboundMessage:
    return inbound_accept(raw=raw, source=InboundMessage.Source.PIPE)[0]


def email_replies(ticket) -> int:
    return ticket.messages.filter(source=Message.Source.EMAIL).count()


def test_process_inbound_threads_the_reply_once_however_often_it_runs(ticket):
    row = store(raw_email(subject=f"Re: {ticket.subject_tag} {ticket.subject}", body="Works."))
    assert tasks.process_inbound.apply(args=[row.pk]).get() == InboundMessage.Status.THREADED
    assert tasks.process_inbound.apply(args=[row.pk]).get() == InboundMessage.Status.THREADED
    assert email_replies(ticket) == 1


def test_process_inbound_of_a_missing_row_is_a_no_op():
    assert tasks.process_inbound.apply(args=[987654]).get() == "missing"


def test_stored_message_is_queued_on_commit(ticket, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks.process_inbound, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = store(raw_email(subject=f"Re: {ticket.subject_tag}"))
    assert queued == []  # nothing queued before the row is committed
    for callback in callbacks:
        callback()
    assert queued == [row.pk]


def test_a_failing_attempt_is_recorded_and_the_row_stays_pending(ticket, monkeypatch):
    row = store(raw_email(subject=f"Re: {ticket.subject_tag}"))

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("mailgateway.services.inbound_message_process", broken)
    result = tasks.process_inbound.apply(args=[row.pk])
    assert result.failed() or result.state == "RETRY"
    row.refresh_from_db()
    assert row.status == InboundMessage.Status.PENDING and "disk full" in row.last_error


def test_requeue_stale_inbound_queues_only_old_pending_rows(ticket, monkeypatch):
    old = store(raw_email(subject=f"Re: {ticket.subject_tag} old"))
    fresh = store(raw_email(subject=f"Re: {ticket.subject_tag} fresh"))
    done = store(raw_email(subject=f"Re: {ticket.subject_tag} done"))
    InboundMessage.objects.filter(pk__in=[old.pk, done.pk]).update(
        received_at=timezone.now() - dt.timedelta(minutes=30))
    InboundMessage.objects.filter(pk=done.pk).update(status=InboundMessage.Status.THREADED)
    poison = store(raw_email(subject=f"Re: {ticket.subject_tag} poison"))
    InboundMessage.objects.filter(pk=poison.pk).update(
        received_at=timezone.now() - dt.timedelta(minutes=30), attempts=20)
    queued = []
    monkeypatch.setattr(tasks.process_inbound, "delay", queued.append)
    assert tasks.requeue_stale_inbound.apply(kwargs={"older_than_minutes": 10}).get() == 1
    assert queued == [old.pk]
    assert fresh.pk not in queued and poison.pk not in queued


def test_requeued_rows_end_processed_exactly_once(ticket, settings):
    rows = [store(raw_email(subject=f"Re: {ticket.subject_tag} n{n}")) for n in range(5)]
    InboundMessage.objects.update(received_at=timezone.now() - dt.timedelta(hours=1))
    tasks.requeue_stale_inbound.apply(kwargs={"older_than_minutes": 0}).get()  # eager: runs
    tasks.requeue_stale_inbound.apply(kwargs={"older_than_minutes": 0}).get()
    assert email_replies(ticket) == 5
    assert set(InboundMessage.objects.filter(pk__in=[r.pk for r in rows])
               .values_list("status", flat=True)) == {InboundMessage.Status.THREADED}


def test_batches_process_everything_and_isolate_a_failing_message(
        ticket, monkeypatch, django_capture_on_commit_callbacks):
    raws = [raw_email(subject=f"Re: {ticket.subject_tag} b{n}") for n in range(6)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = inbound_accept_many(raws=raws, source=InboundMessage.Source.PIPE, batch_size=4)
    assert len(ids) == 6 and len(callbacks) == 2  # two batches, each queued on its commit
    assert email_replies(ticket) == 6

    bad = store(raw_email(subject=f"Re: {ticket.subject_tag} bad"))
    good = store(raw_email(subject=f"Re: {ticket.subject_tag} good"))
    InboundMessage.objects.filter(pk__in=[bad.pk, good.pk]).update(
        status=InboundMessage.Status.PENDING)
    real = tasks._process_one
    alone = []
    # The batch's single transaction fails too; then each message runs alone.
    monkeypatch.setattr("mailgateway.services.inbound_messages_process",
                        lambda **kwargs: (_ for _ in ()).throw(OSError("boom")))
    monkeypatch.setattr(tasks, "_process_one",
                        lambda i: (_ for _ in ()).throw(OSError("boom")) if i == bad.pk else real(i))
    monkeypatch.setattr(tasks.process_inbound, "apply_async",
                        lambda args, countdown: alone.append(args[0]))
    assert tasks.process_inbound_batch.apply(args=[[bad.pk, good.pk]]).get() == 1
    assert alone == [bad.pk]


@pytest.mark.parametrize("task", [tasks.process_inbound, tasks.process_inbound_batch])
def test_tasks_ack_late_and_retry_with_backoff(task):
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.retry_backoff and task.max_retries >= 5
    assert OSError in task.autoretry_for


def test_send_task_retries_then_records_the_failure_on_the_ticket(ticket, monkeypatch):
    from mailgateway.message_ids import message_id_make
    from mailgateway.models import OutboundMessage
    from tickets.models import TicketEvent

    assert tasks.send_ticket_notification.acks_late is True
    assert tasks.send_ticket_notification.reject_on_worker_lost is True
    attempts = []

    def esp_down(self, fail_silently=False):
        attempts.append(1)
        raise ConnectionRefusedError("ESP unreachable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", esp_down)
    header = message_id_make(ticket_id=ticket.pk)
    result = tasks.send_ticket_notification.apply(
        kwargs={"kind": "resolved", "ticket_id": ticket.pk, "header_message_id": header})
    assert result.failed()
    assert len(attempts) == tasks.SEND_MAX_RETRIES + 1
    row = OutboundMessage.objects.get(header_message_id=header)
    assert row.sent_at is None and row.failure_reason.startswith("send_failed")
    event = ticket.events.get(kind=TicketEvent.Kind.MAIL_FAILED)
    assert "ESP unreachable" in event.data["reason"]


def test_backoff_grows_and_is_capped_under_the_visibility_timeout(settings):
    from outbox.tasks import retry_countdown_seconds

    assert [retry_countdown_seconds(n) for n in (0, 1, 2)] == [10, 20, 40]
    assert retry_countdown_seconds(10) == settings.TASK_RETRY_MAX_COUNTDOWN_SECONDS
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.TASK_RETRY_MAX_COUNTDOWN_SECONDS < visibility
    assert tasks.process_inbound.retry_backoff_max < visibility


def test_beat_schedule_runs_the_requeue_job(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "mailgateway.tasks.requeue_stale_inbound" in tasks_scheduled
