"""The outbox: rows recorded with the change, dispatched after commit, swept when pending,
sent exactly once (claimed before the backend, marked after), pruned."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox import services, tasks
from outbox.models import Heartbeat, OutboxEmail, OutboxTask

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_dispatch_pause():
    services._broker_paused_until.clear()
    yield
    services._broker_paused_until.clear()


def record(**overrides) -> OutboxEmail:
    fields = {"kind": "test", "to_address": "maria@acme.example", "subject": "Hello",
              "body_text": "Body", "headers": {"Auto-Submitted": "auto-generated"}}
    return services.outbox_email_record(**{**fields, **overrides})


def test_rows_are_recorded_with_the_change_and_dispatched_after_commit(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        with transaction.atomic():
            email = record()
            task = OutboxTask.objects.get(idempotency_key=f"outbox-email:{email.pk}")
            assert task.dispatched_at is None and mail.outbox == []
    assert len(hooks) == 1
    task.refresh_from_db()
    email.refresh_from_db()
    assert task.dispatched_at is not None and task.dispatch_attempts == 1
    assert email.sent_at is not None and email.send_attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["maria@acme.example"] and sent.subject == "Hello"
    assert sent.extra_headers["Message-ID"] == email.header_message_id
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_rolled_back_change_records_and_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            record()
            raise RuntimeError
    assert not OutboxEmail.objects.exists() and not OutboxTask.objects.exists()
    assert mail.outbox == []


def test_the_sweep_dispatches_what_is_still_pending_once(settings):
    # A row whose on-commit dispatch never happened (broker down, process died).
    email = record()  # no commit hook runs in this test transaction
    task = OutboxTask.objects.get()
    assert services.outbox_tasks_sweep() == 0  # younger than OUTBOX_DISPATCH_AFTER_SECONDS
    OutboxTask.objects.update(created_at=timezone.now() - dt.timedelta(
        seconds=settings.OUTBOX_DISPATCH_AFTER_SECONDS + 1))
    assert tasks.outbox_sweep.apply().get() == 1
    assert services.outbox_tasks_sweep() == 0  # the second run finds nothing
    task.refresh_from_db()
    email.refresh_from_db()
    assert task.dispatched_at is not None and email.sent_at is not None
    assert len(mail.outbox) == 1


def test_a_run_marks_its_row_done_and_a_retry_does_not():
    email = record()
    task = OutboxTask.objects.get()
    assert services.outbox_task_dispatch(task_id=task.pk) == services.DISPATCHED  # eager run
    task.refresh_from_db()
    assert task.done_at is not None and email.__class__.objects.get().sent_at is not None
    # A run that only schedules a retry has not ended; a task the outbox did not dispatch
    # has no row.
    from celery import states

    from outbox.signals import outbox_run_ended

    OutboxTask.objects.update(done_at=None)
    outbox_run_ended(task_id=f"outbox-{task.pk}-abc", state=states.RETRY)
    outbox_run_ended(task_id="2f0c1e9e-plain-celery-id", state=states.SUCCESS)
    assert OutboxTask.objects.get().done_at is None
    outbox_run_ended(task_id=f"outbox-{task.pk}-abc", state=states.FAILURE)
    assert OutboxTask.objects.get().done_at is not None
    assert services.outbox_task_pk("outbox-x-1") is None and services.outbox_task_pk(None) is None


def test_the_sweep_dispatches_again_a_task_whose_broker_message_was_lost(settings):
    email = record()
    task = OutboxTask.objects.get()
    lost_at = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS + 1)
    # Handed to the broker, which lost the message: dispatched, never run.
    OutboxTask.objects.update(dispatched_at=lost_at, dispatch_attempts=1,
                              created_at=lost_at)
    OutboxTask.objects.create(name="outbox.tasks.worker_heartbeat", kwargs={},
                              idempotency_key="done", created_at=lost_at,
                              dispatched_at=lost_at, done_at=lost_at)
    assert services.outbox_tasks_sweep(lost_after_seconds=10 ** 6) == 0  # not late yet
    assert services.outbox_tasks_sweep() == 1  # the done row is left alone
    task.refresh_from_db()
    email.refresh_from_db()
    assert task.done_at is not None and task.dispatch_attempts == 2
    assert email.sent_at is not None and len(mail.outbox) == 1
    assert not Heartbeat.objects.exists()
    assert services.outbox_tasks_sweep(lost_after_seconds=0) == 0  # done: never again


def test_a_task_that_never_ends_is_dispatched_again_a_bounded_number_of_times(
        settings, monkeypatch):
    record()
    task = OutboxTask.objects.get()
    monkeypatch.setattr(tasks.outbox_email_send, "apply_async", lambda **kwargs: None)
    OutboxTask.objects.update(dispatched_at=timezone.now(), dispatch_attempts=1)
    settings.OUTBOX_DISPATCH_MAX = 3
    assert [services.outbox_tasks_sweep(lost_after_seconds=0) for _ in range(4)] == [1, 1, 0, 0]
    task.refresh_from_db()
    assert task.dispatch_attempts == 3 and task.done_at is None


def test_a_dispatch_error_is_recorded_never_raised(monkeypatch):
    record()
    task = OutboxTask.objects.get()

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.outbox_email_send, "apply_async", broker_down)
    assert services.outbox_task_dispatch(task_id=task.pk) == services.FAILED
    task.refresh_from_db()
    assert task.dispatched_at is None and task.dispatch_attempts == 1
    assert "broker unreachable" in task.last_error
    assert services.outbox_tasks_sweep(older_than_seconds=0) == 0  # stops at the error
    monkeypatch.undo()
    # For a pause, this process leaves new rows to the sweep (no timeout per request) …
    assert services.outbox_task_dispatch(task_id=task.pk) == services.FAILED
    assert mail.outbox == []
    # … which dispatches them whatever the pause.
    assert services.outbox_tasks_sweep(older_than_seconds=0) == 1
    assert len(mail.outbox) == 1


def test_a_sent_email_is_never_sent_again():
    email = record()
    for _ in range(3):
        assert tasks.outbox_email_send.apply(kwargs={"email_id": email.pk}).get() == "sent"
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.send_attempts == 1


def test_a_fresh_claim_of_another_run_is_waited_for_not_sent_over(settings):
    email = record()
    assert services.send_claim(model=OutboxEmail, pk=email.pk) == services.CLAIMED
    with pytest.raises(services.SendInProgress) as busy:
        services.outbox_email_send(email_id=email.pk)
    assert 1 <= busy.value.retry_in_seconds <= settings.OUTBOX_SEND_CLAIM_SECONDS
    assert mail.outbox == []
    # The task leaves it to the run that holds the claim (a worker retries after it).
    assert tasks.outbox_email_send.apply(kwargs={"email_id": email.pk}).get() == "busy"
    assert mail.outbox == []


def test_a_run_killed_after_its_claim_leads_to_exactly_one_more_send(settings):
    email = record()
    services.send_claim(model=OutboxEmail, pk=email.pk)  # the killed run's claim
    OutboxEmail.objects.update(claimed_at=timezone.now() - dt.timedelta(
        seconds=settings.OUTBOX_SEND_CLAIM_SECONDS + 1))
    for _ in range(2):  # redelivery, and a late duplicate
        services.outbox_email_send(email_id=email.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == email.header_message_id
    email.refresh_from_db()
    assert email.send_attempts == 2 and email.sent_at is not None


def test_a_backend_error_frees_the_claim_for_the_retry(monkeypatch):
    email = record()
    calls = []

    def flaky(self, fail_silently=False):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionRefusedError("SMTP down")
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", flaky)
    with pytest.raises(ConnectionRefusedError):
        services.outbox_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.claimed_at is None and email.sent_at is None
    assert services.outbox_email_send(email_id=email.pk) == services.SENT
    assert len(calls) == 2


def test_the_last_failure_is_recorded_and_a_secret_body_dropped(monkeypatch):
    email = record(body_text="https://x/reset/abc/", keep_body=False)

    def down(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    result = tasks.outbox_email_send.apply(kwargs={"email_id": email.pk},
                                           retries=tasks.SEND_MAX_RETRIES)
    assert result.state == "FAILURE"
    email.refresh_from_db()
    assert email.failed_at is not None and "SMTP down" in email.failure_reason
    assert email.body_text == "" and email.sent_at is None
    assert services.outbox_email_send(email_id=email.pk) == services.FAILED


def test_prune_deletes_done_rows_older_than_the_retention_only(settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    done, pending, recent = record(), record(), record()
    OutboxEmail.objects.filter(pk=done.pk).update(sent_at=old, created_at=old)
    OutboxEmail.objects.filter(pk=pending.pk).update(created_at=old)
    OutboxEmail.objects.filter(pk=recent.pk).update(sent_at=timezone.now())
    OutboxTask.objects.filter(kwargs__email_id=done.pk).update(dispatched_at=old)
    reset = record(kind="password_reset", body_text="https://x/reset/abc/", keep_body=False)
    OutboxEmail.objects.filter(pk=reset.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))

    assert services.outbox_prune() == {"tasks": 1, "emails": 1}
    assert services.outbox_prune() == {"tasks": 0, "emails": 0}  # idempotent
    assert set(OutboxEmail.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk,
                                                                     reset.pk}
    reset.refresh_from_db()  # an expired reset link is not kept waiting for a send
    assert reset.body_text == "" and reset.failed_at is not None


def test_prune_command_and_its_beat_entry(settings, capsys):
    from django.core.management import call_command

    call_command("outbox_prune", "--days", "1")
    assert "deleted 0 outbox tasks, 0 emails" in capsys.readouterr().out
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"outbox.tasks.outbox_prune", "outbox.tasks.outbox_sweep",
            "outbox.tasks.worker_heartbeat", "outbox.tasks.sessions_clear",
            "mailgateway.tasks.inbound_raw_reduce"} <= scheduled


def test_worker_heartbeat_records_the_time():
    before = timezone.now()
    tasks.worker_heartbeat.apply().get()
    assert Heartbeat.objects.get(name="worker").beat_at >= before


def test_sessions_are_cleared_by_the_beat_task():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    alive, expired = SessionStore(), SessionStore()
    alive.create()
    expired.set_expiry(-10)
    expired.create()
    assert Session.objects.count() == 2
    tasks.sessions_clear.apply().get()
    assert list(Session.objects.values_list("session_key", flat=True)) == [alive.session_key]
