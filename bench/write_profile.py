"""Load-independent figures of the write paths, in-process against PostgreSQL and Redis:
queries and CPU time per request or email, with cProfile statistics saved under
bench/results/ (read them with `python -m pstats FILE`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/13 \
        .venv/bin/python bench/write_profile.py [--repeat 200] [--database bench_write_profile]

Paths (each warmed once, then --repeat times; CPU is this process's, so the database
server's share is not in it):
- submit: the submit form's final POST (Django's test client: the whole middleware stack,
  CSRF checks off), the ticket, its entitlement decision and its recorded confirmation;
- customer_reply / agent_reply: the ticket page's reply form and the desk's reply action;
- notify_created / notify_agent_reply: the worker's send of one recorded ticket email
  (`outbound_message_send`, what `send_ticket_notification` runs) into the locmem backend;
- notify_drained: the worker's drain (`outbox.drain`, what `outbox_drain` runs) over
  --repeat recorded confirmations: statements and CPU per email, claims and marks included;
- ingest: the MTA pipe's synchronous path (`ingest_email --sync`: store, then process, one
  threaded customer reply per call), and the worker's batches (`inbound_messages_store`,
  then `process_inbound_batch` by 100) over --repeat replies: statements and CPU per message;
- middleware: a trivial view through WSGIHandler with the first k middleware, for
  k = 0..all, anonymous and signed in: each middleware's CPU per request.
The database (--database, default bench_write_profile) is created and migrated when
missing and kept; REDIS_URL is the cache and the broker (its task queue is purged).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from bench import fixtures  # noqa: E402


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database", default="bench_write_profile")
    parser.add_argument("--no-cprofile", action="store_true")
    parser.add_argument("--pyinstrument", action="store_true",
                        help="also a sampling profile per path (bench/results/pyinstrument_*.txt:"
                             " the call tree by wall time, less distorted than cProfile's)")
    parser.add_argument("--only", action="append",
                        choices=("submit", "replies", "notify", "drained", "ingest",
                                 "middleware"))
    return parser.parse_args(argv)


def load() -> str:
    return ",".join(f"{x:.2f}" for x in os.getloadavg())


def setup(args) -> None:
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("REDIS_URL must be set (redis://…; a database of the bench's own)")
    admin_url, url = fixtures.database_urls(database_url, args.database)
    fixtures.database_ensure(admin_url, args.database)
    tmp = Path("/tmp") / f"hd-write-profile-{os.getpid()}"
    os.environ.update({"DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": "false",
                       "HELPDESK_VAR_DIR": str(tmp / "var"), "MEDIA_ROOT": str(tmp / "media"),
                       "MAIL_OUTBOX_DIR": str(tmp / "outbox"), "LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "BENCH_VIEWS": "true",
                       "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"})
    os.environ.pop("TEST_DATABASE_NAME", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    fixtures.schema_ensure()


class Measure:
    """Queries, CPU and wall per call of `fn`, optionally under cProfile."""

    def __init__(self, args):
        self.args = args

    def __call__(self, name: str, fn, repeat: int | None = None) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        repeat = repeat or self.args.repeat
        fn()  # warm: imports, template compiling, translation catalogues
        with CaptureQueriesContext(connection) as queries:
            fn()
        captured = list(queries.captured_queries)
        count = len(captured)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            fn()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        figures = {"queries": count, "cpu_ms": 1000 * cpu / repeat, "wall_ms": 1000 * wall / repeat}
        if not self.args.no_cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(min(repeat, 100)):
                fn()
            profiler.disable()
            RESULTS.mkdir(exist_ok=True)
            path = RESULTS / f"profile_{name}.pstats"
            profiler.dump_stats(path)
            text = io.StringIO()
            pstats.Stats(str(path), stream=text).sort_stats("tottime").print_stats(25)
            (RESULTS / f"profile_{name}.txt").write_text(text.getvalue())
        if self.args.pyinstrument:
            self._sampled(name, fn, repeat)
        print(f"{name}_queries {count} cpu_ms={figures['cpu_ms']:.2f} "
              f"wall_ms={figures['wall_ms']:.2f} n={repeat} load={load()}", flush=True)
        if os.environ.get("BENCH_SHOW_QUERIES"):
            for query in captured:
                print("   ", query["sql"][:300], file=sys.stderr)
        return figures


    @staticmethod
    def _sampled(name: str, fn, repeat: int) -> None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(min(repeat, 200)):
            fn()
        profiler.stop()
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"pyinstrument_{name}.txt").write_text(
            profiler.output_text(unicode=False, color=False, show_all=False))


def _client(email: str):
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _verified_agent_client(email: str):
    """The agent's session with its second factor passed (as after the TOTP step)."""
    from django.test import Client
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import two_factor
    from accounts.models import User

    client = Client()
    user = User.objects.get(email=email)
    client.force_login(user)
    request = type("R", (), {})()
    request.session = client.session
    request.user = user
    otp_login(request, TOTPDevice.objects.get(user=user, name="bench"))
    two_factor.session_passed(request)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return client


def submit(measure, people) -> None:
    client = _client(people.submitters[0])
    path = f"/tickets/new/{fixtures.DEPARTMENT}/"

    def post():
        response = client.post(path, {"submission_key": str(uuid.uuid4()),
                                      "subject": "Calls drop after 30 seconds on the trunk",
                                      "message": "Since this morning every call drops."})
        assert response.status_code == 302 and "login" not in response["Location"] and "two-factor" not in response["Location"], (response.status_code, response.get("Location"), response.content[:300])

    measure("submit", post)


def _ticket_of(email: str):
    from tickets.models import Ticket

    return Ticket.objects.filter(requester__email=email).order_by("-id").first()


def replies(measure, people) -> None:
    ticket = _ticket_of(people.inbound)
    customer = _client(people.inbound)
    path = f"/tickets/{ticket.number}/reply/"

    def customer_reply():
        response = customer.post(path, {"message": "The trunk re-registered, calls last now."})
        assert response.status_code == 302 and "login" not in response["Location"] and "two-factor" not in response["Location"], (response.status_code, response.get("Location"), response.content[:300])

    measure("customer_reply", customer_reply)
    agent = _verified_agent_client(people.agent)
    desk = f"/admin/desk/ticket/{ticket.pk}/do/reply/"

    def agent_reply():
        response = agent.post(desk, {"action": "reply", "kind": "reply", "seen_message": 10**9,
                                     "body": "Please check the SIP timers."})
        assert response.status_code == 302 and "login" not in response["Location"] and "two-factor" not in response["Location"], (response.status_code, response.get("Location"), response.content[:300])

    measure("agent_reply", agent_reply)


def notify(measure, people) -> None:
    from django.core import mail

    from accounts.models import User
    from catalog.models import Department
    from mailgateway import outbound_services

    user = User.objects.get(email=people.submitters[1])
    department = Department.objects.get(code=fixtures.DEPARTMENT)
    agent = User.objects.get(email=people.agent)
    for kind in ("created", "agent_reply"):
        rows = [_recorded(kind, user=user, department=department, agent=agent)
                for _ in range(measure.args.repeat + min(measure.args.repeat, 100) + 2
                               + (min(measure.args.repeat, 200) if measure.args.pyinstrument else 0))]
        turn = iter(rows)

        def send(turn=turn):
            row = next(turn)
            outbound_services.outbound_message_send(
                kind=row.kind, ticket_id=row.ticket_id, message_id=row.ticket_message_id,
                header_message_id=row.header_message_id)

        mail.outbox = []
        measure(f"notify_{kind}", send)
        assert len(mail.outbox) == len(rows) - len(list(turn)), len(mail.outbox)


def drained(measure, people) -> None:
    """The worker's drain (outbox.drain, what outbox_drain runs) over `--repeat` recorded
    confirmations, batches of OUTBOX_DRAIN_BATCH over one locmem connection: statements
    (transaction control included) and CPU per email, the whole run."""
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import Department
    from outbox import drain
    from outbox.models import OutboxTask

    user = User.objects.get(email=people.submitters[1])
    department = Department.objects.get(code=fixtures.DEPARTMENT)
    agent = User.objects.get(email=people.agent)
    OutboxTask.objects.filter(done_at__isnull=True).update(done_at=timezone.now())
    count = measure.args.repeat
    for _ in range(count):
        _recorded("created", user=user, department=department, agent=agent)
    mail.outbox = []
    cpu, wall = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        ended = drain.outbox_drain(run_id=f"profile-{uuid.uuid4().hex}", rounds=10 ** 6)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert ended == count == len(mail.outbox), (ended, count, len(mail.outbox))
    print(f"notify_drained_queries_per_mail {len(queries.captured_queries) / count:.2f} "
          f"cpu_ms={1000 * cpu / count:.2f} wall_ms={1000 * wall / count:.2f} n={count} "
          f"batch={settings.OUTBOX_DRAIN_BATCH} load={load()}", flush=True)


def ingest(measure, people) -> None:
    """The MTA pipe (`ingest_email --sync`) per message, then the worker's batches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.mail_throughput import raw_reply
    from mailgateway import services
    from mailgateway.models import InboundMessage
    from mailgateway.tasks import process_inbound_batch

    number = people.inbound_tickets[0]
    serial = iter(range(int(time.time() * 1000) * 1000, 10 ** 18))

    def raw() -> bytes:
        return raw_reply(number=number, email=people.inbound, n=next(serial))

    def sync():
        row, _created = services.inbound_message_store(raw=raw(), source="pipe")
        row = services.inbound_message_process(inbound_id=row.pk, stored=row)
        assert row.status == InboundMessage.Status.THREADED, (row.status, row.reason)

    measure("ingest_sync", sync)
    count = measure.args.repeat
    raws = [raw() for _ in range(count)]
    cpu, wall = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        ids = services.inbound_messages_store(raws=raws, source="pipe")
        for start in range(0, len(ids), 100):
            process_inbound_batch.run(ids[start:start + 100])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert InboundMessage.objects.filter(
        pk__in=ids, status=InboundMessage.Status.THREADED).count() == count
    print(f"ingest_batched_queries_per_msg {len(queries.captured_queries) / count:.2f} "
          f"cpu_ms={1000 * cpu / count:.2f} wall_ms={1000 * wall / count:.2f} n={count} "
          f"batch=100 load={load()}", flush=True)


def _recorded(kind: str, *, user, department, agent):
    """A ticket (and with agent_reply an agent's reply) and the email it recorded."""
    from mailgateway.models import OutboundMessage
    from tickets import services
    from tickets.models import Ticket

    ticket = services.ticket_create(requester=user, department=department,
                                    subject="One-way audio on trunk 3", body="Details.")
    if kind == "agent_reply":
        services.agent_reply_create(ticket=Ticket.objects.get(pk=ticket.pk), agent=agent,
                                    body="Please check the SIP timers.")
    return OutboundMessage.objects.filter(ticket=ticket, kind=kind).get()


def middleware(measure, people) -> None:
    """CPU per request through WSGIHandler with the first k middleware (k = 0..all)."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    client = _client(people.submitters[0])
    session = client.cookies["sessionid"].value
    stack = list(settings.MIDDLEWARE)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/bench/trivial/", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000",
               "HTTP_ACCEPT": "text/html", "REMOTE_ADDR": "127.0.0.1"}
    repeat = measure.args.repeat * 10
    for who, cookie in (("anon", ""), ("user", f"sessionid={session}")):
        env = {**environ, **({"HTTP_COOKIE": cookie} if cookie else {})}
        handlers = []
        for k in range(len(stack) + 1):
            with override_settings(MIDDLEWARE=stack[:k], BENCH_VIEWS=True):
                handlers.append(WSGIHandler())
        best = [float("inf")] * len(handlers)
        for _sweep in range(3):  # the least of three sweeps: the machine is shared
            for k, handler in enumerate(handlers):
                with override_settings(MIDDLEWARE=stack[:k], BENCH_VIEWS=True):
                    best[k] = min(best[k], _per_request_us(handler, env, repeat))
        for k, per in enumerate(best):
            name = "none" if k == 0 else stack[k - 1].rsplit(".", 1)[1]
            delta = "" if k == 0 else f" delta_us={per - best[k - 1]:+.0f}"
            print(f"middleware_{who}_{k:02d}_{name}_us {per:.0f}{delta} n={repeat}x3 "
                  f"load={load()}", flush=True)


def _per_request_us(handler, env: dict, repeat: int) -> float:
    def call():
        response = handler(dict(env), lambda status, headers: None)
        response.close()

    for _ in range(20):
        call()
    cpu = time.process_time()
    for _ in range(repeat):
        call()
    return 1e6 * (time.process_time() - cpu) / repeat


def main(argv=None) -> None:
    args = arguments(argv)
    setup(args)
    from helpdesk.celery import app

    people = fixtures.people_ensure(submitters=2, my_tickets=0, inbound_tickets=1)
    measure = Measure(args)
    only = args.only or ["submit", "replies", "notify", "drained", "ingest", "middleware"]
    try:
        for name in only:
            {"submit": submit, "replies": replies, "notify": notify, "drained": drained,
             "ingest": ingest, "middleware": middleware}[name](measure, people)
    finally:
        app.control.purge()


if __name__ == "__main__":
    main()
