"""Drained emails (issue 16): recorded as handed to a drain, one drain message per flag,
batches over one backend connection, each email still claimed and marked on its own, a
failing row handed to its own task, a redelivered run taking back its rows.

The tests' Celery is eager; the drain's path is the one of a real broker, so `_eager` is
patched off and the published messages are caught instead of run."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from outbox import drain, services, tasks
from outbox.models import OutboxEmail, OutboxTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch):
    """Not eager; every publish recorded as (task name, options)."""
    services._broker_paused_until.clear()
    cache.delete(services.drain_flag_key())
    published: list[tuple[str, dict]] = []
    monkeypatch.setattr(services, "_eager", lambda: False)
    for task in (tasks.outbox_drain, tasks.outbox_email_send):
        monkeypatch.setattr(task, "apply_async",
                            lambda task=task, **options: published.append((task.name, options)))
    yield published
    cache.delete(services.drain_flag_key())
    services._broker_paused_until.clear()


def record(n: int = 0) -> OutboxEmail:
    return services.outbox_email_record(kind="test", to_address=f"u{n}@acme.example",
                                        subject="Hello", body_text="Body")


def test_commits_publish_one_drain_without_reading_or_updating_the_rows(
        broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        with transaction.atomic():
            for n in range(3):
                record(n)
    task_rows = OutboxTask.objects.all()
    assert {(t.drain_run, t.dispatch_attempts) for t in task_rows} == {("waiting", 1)}
    assert not task_rows.filter(dispatched_at__isnull=True).exists()
    with CaptureQueriesContext(connection) as queries:
        for hook in hooks:
            hook()
    # No re-read, no UPDATE after commit (without Redis the flag lives in the database
    # cache, whose statements are the cache's).
    assert [q["sql"] for q in queries.captured_queries if "helpdesk_cache" not in q["sql"]
            and not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))] == []
    assert [name for name, _options in broker] == ["outbox.tasks.outbox_drain"]  # the flag


def test_a_drain_sends_a_batch_over_one_connection_and_marks_it_done(broker, monkeypatch):
    emails = [record(n) for n in range(5)]
    opened = []
    backend = mail.get_connection().__class__
    original = backend.open
    monkeypatch.setattr(backend, "open", lambda self: opened.append(self) or original(self))
    mail.outbox = []
    assert drain.outbox_drain(run_id="run-1", batch=2) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [e.to_address for e in emails]
    assert len(opened) == 3  # one connection per batch of 2
    assert not OutboxEmail.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboxEmail.objects.values_list("send_attempts", flat=True)) == {1}
    assert not OutboxTask.objects.filter(done_at__isnull=True).exists()
    assert set(OutboxTask.objects.values_list("drain_run", flat=True)) == {"run-1"}
    assert drain.outbox_drain(run_id="run-2") == 0 and len(mail.outbox) == 5
    # The flag was cleared by the drain: the next commit publishes again.
    record(9)
    assert services.outbox_drain_request() == services.DISPATCHED


def test_a_redelivered_run_takes_back_its_rows_and_sends_each_once(broker, monkeypatch):
    for n in range(3):
        record(n)
    sent = []
    original = services.outbox_email_send

    def killed_after_first(**kwargs):
        if sent:
            raise SystemExit("worker killed")  # not an Exception: the run dies here
        sent.append(kwargs["email_id"])
        return original(**kwargs)

    monkeypatch.setattr(services, "outbox_email_send", killed_after_first)
    with pytest.raises(SystemExit):
        drain.outbox_drain(run_id="run-1")
    monkeypatch.setattr(services, "outbox_email_send", original)
    assert drain.outbox_drain(run_id="other") == 0  # claimed by run-1: not another run's
    assert drain.outbox_drain(run_id="run-1") == 3  # the redelivery (same id)
    assert sorted(m.to[0] for m in mail.outbox) == [f"u{n}@acme.example" for n in range(3)]


def test_a_failing_send_is_handed_to_its_own_task_with_one_attempt_spent(broker, monkeypatch):
    email = record()
    monkeypatch.setattr(services, "outbox_email_send",
                        lambda **kwargs: (_ for _ in ()).throw(ConnectionRefusedError("smtp")))
    assert drain.outbox_drain(run_id="run-1") == 0
    task = OutboxTask.objects.get()
    assert task.done_at is None and task.drain_run == "" and "smtp" in task.last_error
    [(name, options)] = [p for p in broker if p[0] != "outbox.tasks.outbox_drain"]
    assert name == "outbox.tasks.outbox_email_send"
    assert options["kwargs"] == {"email_id": email.pk} and options["retries"] == 1
    assert services.outbox_task_pk(options["task_id"]) == task.pk
    assert drain.outbox_drain(run_id="run-2") == 0  # its own task has it now


def test_a_broker_error_leaves_the_rows_to_the_sweep(broker, monkeypatch):
    def down(**options):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.outbox_drain, "apply_async", down)
    first, second = record(1), record(2)
    rows = {t.kwargs["email_id"]: t for t in OutboxTask.objects.all()}
    assert services.outbox_drain_request(task_ids=[rows[first.pk].pk]) == services.FAILED
    assert services.outbox_drain_request(task_ids=[rows[second.pk].pk]) == services.FAILED
    pending = OutboxTask.objects.filter(dispatched_at__isnull=True, drain_run="")
    assert pending.count() == 2
    assert "broker unreachable" in pending.get(pk=rows[first.pk].pk).last_error
    assert pending.get(pk=rows[second.pk].pk).dispatch_attempts == 0  # paused: not tried
    monkeypatch.undo()
    monkeypatch.setattr(services, "_eager", lambda: False)
    monkeypatch.setattr(tasks.outbox_email_send, "apply_async",
                        lambda **options: broker.append(("own", options)))
    assert services.outbox_tasks_sweep(older_than_seconds=0) == 2  # one by one, as before
    assert len([p for p in broker if p[0] == "own"]) == 2


def test_rows_committed_during_a_drain_join_it_and_publish_no_drain_of_their_own(
        broker, monkeypatch):
    record(0)
    assert services.outbox_drain_request() == services.DISPATCHED  # the flag is up
    run = drain._run
    added = []

    def run_and_commit_more(rows):
        if not added:  # while the first batch is sent, two more commits
            added.extend([record(1), record(2)])
            assert services.outbox_drain_request() == services.SKIPPED
        return run(rows)

    monkeypatch.setattr(drain, "_run", run_and_commit_more)
    mail.outbox = []
    assert drain.outbox_drain(run_id="run-1", batch=50) == 3
    assert len(mail.outbox) == 3 and len(broker) == 1
    # Caught up, the drain cleared the flag: the next commit publishes.
    assert services.outbox_drain_request() == services.DISPATCHED


def test_a_row_committed_as_the_drain_catches_up_is_taken_after_the_flag_is_cleared(
        broker, monkeypatch):
    """The commit saw the flag up (no drain of its own) just before the drain cleared it:
    the drain's last look finds it."""
    record(0)
    services.outbox_drain_request()
    clear = drain._flag_clear

    def late_commit_then_clear():
        record(1)
        assert services.outbox_drain_request() == services.SKIPPED
        return clear()

    monkeypatch.setattr(drain, "_flag_clear", late_commit_then_clear)
    mail.outbox = []
    assert drain.outbox_drain(run_id="run-1", batch=50) == 2
    assert len(mail.outbox) == 2 and len(broker) == 1
