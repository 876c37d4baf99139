"""`make bench`: the project's figures over HTTP, against gunicorn, PostgreSQL, Redis and a
real Celery worker, one figure a line on stdout (progress goes to stderr):

    <name> <value> [key=value ...] load=<1 min>,<5 min>,<15 min>

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/run.py [--quick] [--duration 30] [--concurrency 8] [--only submit]

The bench database (--database, default bench_helpdesk, on the server of DATABASE_URL) is
created, migrated and loaded with --tickets tickets (seed_volume, only when the count is
short) and kept for the next run. REDIS_URL is the cache and the broker of every process
the bench starts: give it a Redis database of its own, its task queue is purged.

Figures (bench/README.md says the same for the project README):
- bare_view_per_s: a view that does nothing, served without middleware (the ceiling);
  trivial_view_anon_per_s / trivial_view_user_per_s: the same view behind the project's
  middleware, anonymous and signed in. Concurrency --concurrency.
- agent_queue_p50_ms / _p95_ms: the back-office ticket list (the stock admin changelist, pages 1,
  3 and 10) at --tickets tickets, signed in as an agent, --latency-concurrency clients.
- desk_{views,department,filtered,counts,overview,search_number,search_words,search_email,ticket,
  long_ticket}_p50_ms / _p95_ms: the agent desk (/admin/desk/) at --tickets tickets: the
  queue of each view with its counts, each department, the queue's filters (product,
  status, priority, assignee, due, paid), the counts the page polls, the queue
  overview, searches by ticket number / subject words / requester email, the ticket page of
  random tickets and of a 200-message ticket (loaded by the bench); beside bare_view (the ceiling).
- my_tickets_p50_ms / _p95_ms: My Tickets (pages 1, 2, 13, 25) of a customer with
  --my-tickets open tickets.
- submit_[100k_]{noworker,worker}_{per_s,p50_ms,p99_ms}: the submit wizard's final POST
  through the real signed-in form (CSRF token, multipart, a fresh submission key each
  time), answered 302; with a 100 kB attachment or none; without a Celery worker (the
  confirmation tasks stay queued) and with one (-c --worker-concurrency) sending them on
  the same machine. mails= counts the confirmations written during the run.
- write (only with `--only write`: bench/write_paths.py, on its own database bench_write
  and servers): the write paths beside django-helpdesk's public form, each figure the
  median of three windows.
- inbound_replies_per_s: replies sent over SMTP to the project's listener
  (`manage.py smtp_inbound`), stored, queued, processed by the worker and counted when
  threaded on their ticket: messages / seconds from the first send to the last threaded.

client_cpu= is the load generator's CPU (percent of one core) during the window: it runs on
the same cores as the server, so read every figure with it and the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import fixtures, httpload  # noqa: E402
from tests.support.procs import Processes, free_port, port_open, wait_until  # noqa: E402

GROUPS = ("ceiling", "queue", "desk", "mytickets", "submit", "inbound", "write")
DESK = "/admin/desk/"
QUEUE = "/admin/tickets/ticket/"
SUBMIT = f"/tickets/new/{fixtures.DEPARTMENT}/"


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The project's benchmark figures over HTTP.")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small volume, a few seconds per figure")
    parser.add_argument("--duration", type=float, help="seconds per figure (30; quick 2)")
    parser.add_argument("--warmup", type=float, help="seconds before each window (3; quick 0.5)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients for rates (8)")
    parser.add_argument("--latency-concurrency", type=int, default=1,
                        help="clients for the p50/p95 page figures (1)")
    parser.add_argument("--tickets", type=int, help="ticket volume (1,000,000; quick 2,000)")
    parser.add_argument("--my-tickets", type=int, help="tickets of the My Tickets customer "
                        "(500; quick 40)")
    parser.add_argument("--inbound-messages", type=int, help="replies (2,000; quick 40)")
    parser.add_argument("--database", help="bench database (bench_helpdesk; quick "
                        "bench_helpdesk_quick)")
    parser.add_argument("--drop-database", action="store_true", help="drop it at the end")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--worker-concurrency", type=int, default=2,
                        help="Celery worker prefork processes")
    parser.add_argument("--only", action="append", choices=GROUPS,
                        help="run only these groups (repeatable)")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {"duration": 2 if quick else 30, "warmup": 0.5 if quick else 3,
                "tickets": 2_000 if quick else 1_000_000, "my_tickets": 40 if quick else 500,
                "inbound_messages": 40 if quick else 2_000,
                "database": "bench_helpdesk_quick" if quick else "bench_helpdesk"}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.only = args.only or [group for group in GROUPS if group != "write"]  # on request
    return args


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def figure(name: str, value: float, **fields) -> None:
    """One figure a line, with the machine's load average at the time."""
    extra = "".join(f" {k}={v}" for k, v in fields.items())
    load = ",".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{name} {value:.1f}{extra} load={load}", flush=True)


def load_fields(result: httpload.LoadResult, clients: int) -> dict:
    fields = {"c": clients, "n": result.count, "errors": result.errors,
              "client_cpu": f"{result.client_cpu_percent:.0f}%"}
    if result.errors:
        log(f"first error: {result.first_error}")
    return fields


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="hd-bench-"))
        self.procs = Processes(self.tmp / "logs")
        self.port = free_port()
        self.outbox = self.tmp / "outbox"
        self.worker = None
        self.clients: dict[str, httpload.Client] = {}

    # --- set-up -------------------------------------------------------------------------

    def environment(self) -> dict:
        database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL")
        if not redis_url:
            raise SystemExit("REDIS_URL must be set (redis://…; a database of the bench's own)")
        self.admin_url, url = fixtures.database_urls(database_url, self.args.database)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
               "CELERY_TASK_ALWAYS_EAGER": "false", "BENCH_VIEWS": "true",
               "HELPDESK_VAR_DIR": str(self.tmp / "var"), "MAIL_OUTBOX_DIR": str(self.outbox),
               "MEDIA_ROOT": str(self.tmp / "media"), "LOG_LEVEL": "WARNING",
               "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
        env.pop("TEST_DATABASE_NAME", None)
        env.pop("CELERY_BROKER_URL", None)  # the broker is REDIS_URL, as in production
        return env

    def prepare(self) -> fixtures.People:
        self.env = self.environment()
        if fixtures.database_ensure(self.admin_url, self.args.database):
            log(f"created database {self.args.database}")
        os.environ.update(self.env)
        import django

        django.setup()
        fixtures.schema_ensure()
        self.tickets = (fixtures.volume_ensure(self.args.tickets, log)
                        if {"queue", "desk"} & set(self.args.only) else 0)
        log(f"database {self.args.database}: {self.tickets:,} tickets; bench people and "
            "their tickets…")
        people = fixtures.people_ensure(
            submitters=self.args.concurrency, my_tickets=self.args.my_tickets,
            inbound_tickets=max(10, min(200, self.args.inbound_messages // 10)))
        self.queue_purge()
        return people

    def queue_purge(self) -> None:
        from helpdesk.celery import app

        app.control.purge()

    def start_web(self) -> None:
        self.procs.gunicorn(env=self.env, port=self.port, workers=self.args.web_workers,
                            app="helpdesk.bench_wsgi:application")
        log(f"gunicorn ({self.args.web_workers} sync workers) on 127.0.0.1:{self.port}")
        # Each worker's first requests import and compile (URLs, admin, templates): not timed.
        senders = []
        for path in ("/bench/bare/", "/bench/trivial/", "/accounts/login/") * 2:
            client = httpload.Client(self.port)
            request = client.build("GET", path)
            senders.append(lambda client=client, request=request: client.send(request))
        httpload.run_load(senders, duration_seconds=1, warmup_seconds=0)

    def start_worker(self) -> None:
        from helpdesk.celery import app

        self.worker = self.procs.celery_worker(env=self.env,
                                               concurrency=self.args.worker_concurrency)
        wait_until(lambda: app.control.ping(timeout=0.5) or self.worker.poll() is not None,
                   timeout=90, what="the Celery worker")
        if self.worker.poll() is not None:
            raise SystemExit(f"the Celery worker exited: {self.procs.logs()}")
        log(f"Celery worker (prefork -c {self.args.worker_concurrency}) ready")

    def client(self, email: str | None) -> httpload.Client:
        """A signed-in client per address (None: anonymous), kept for the whole run."""
        key = email or f"anonymous-{len(self.clients)}"
        if key not in self.clients:
            client = httpload.Client(self.port)
            if email:
                client.login(email, fixtures.PASSWORD, totp_key=fixtures.totp_key_for(email))
            self.clients[key] = client
        return self.clients[key]

    def load(self, senders, expect: int = 200, location: str = "") -> httpload.LoadResult:
        return httpload.run_load(senders, duration_seconds=self.args.duration,
                                 warmup_seconds=self.args.warmup, expect=expect,
                                 location=location)

    # --- figures ------------------------------------------------------------------------

    def ceiling(self, people: fixtures.People) -> None:
        c = self.args.concurrency
        cases = [("bare_view_per_s", "/bench/bare/", [None] * c),
                 ("trivial_view_anon_per_s", "/bench/trivial/", [None] * c),
                 ("trivial_view_user_per_s", "/bench/trivial/", people.submitters[:c])]
        for name, path, emails in cases:
            senders = []
            for email in emails:
                client = self.client(email) if email else httpload.Client(self.port)
                request = client.build("GET", path)
                senders.append(lambda client=client, request=request: client.send(request))
            result = self.load(senders)
            figure(name, result.per_second, p50_ms=f"{result.median_ms:.2f}",
                   **load_fields(result, c))

    def pages(self, name: str, email: str, paths: list[str], **extra) -> None:
        c = self.args.latency_concurrency
        senders = []
        for i in range(c):
            client = self.client(email) if i == 0 else httpload.Client(self.port)
            if i:
                client.cookies = dict(self.client(email).cookies)  # the same session
            requests = [client.build("GET", path) for path in paths]
            turn = iter(range(10**12))
            senders.append(lambda client=client, requests=requests, turn=turn:
                           client.send(requests[next(turn) % len(requests)]))
        result = self.load(senders)
        fields = {**load_fields(result, c), **extra}
        figure(f"{name}_p50_ms", result.median_ms, **fields)
        figure(f"{name}_p95_ms", result.percentile_ms(95), **fields)

    def desk(self, people: fixtures.People) -> None:
        import random

        from catalog.models import Department
        from tickets.models import Ticket

        rng = random.Random(7)
        top = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
        some = list(Ticket.objects.filter(id__in=[rng.randrange(1, top + 1) for _ in range(300)])
                    .values_list("pk", "number", "requester__email")[:40])
        longest = fixtures.long_ticket_ensure(people)  # 200 messages
        cases = {
            "views": [f"{DESK}?view={v}" for v in ("mine", "unassigned", "waiting", "overdrawn")],
            "department": [f"{DESK}?view=department&department={d}"
                           for d in Department.objects.values_list("pk", flat=True)],
            "filtered": fixtures.desk_filter_paths(DESK),
            "counts": [f"{DESK}counts/"],
            "overview": [f"{QUEUE}overview/"],
            "search_number": [f"{DESK}?view=all&q={n}" for _pk, n, _e in some],
            "search_words": [f"{DESK}?view=all&q={w}" for w in
                             ("trunk+down", "one-way+audio", "firmware+upgrade")],
            "search_email": [f"{DESK}?view=all&q={e}" for _pk, _n, e in some],
            "ticket": [f"{DESK}ticket/{pk}/" for pk, _n, _e in some],
            "long_ticket": [f"{DESK}ticket/{longest}/"] if longest else [],
        }
        for name, paths in cases.items():
            if paths:
                self.pages(f"desk_{name}", people.agent, paths, tickets=self.tickets)

    def submit(self, people: fixtures.People, *, attachment: bool, worker: bool) -> None:
        from tickets.models import Ticket

        content = os.urandom(100 * 1024) if attachment else None
        senders = [httpload.SubmitRequests(self.client(email), SUBMIT, attachment=content)
                   for email in people.submitters[:self.args.concurrency]]
        tickets_before, mails_before = Ticket.objects.count(), self.mails_sent()
        result = self.load(senders, expect=302, location="/submitted/")  # the ticket's page
        mails = self.mails_sent() - mails_before
        created = Ticket.objects.count() - tickets_before
        name = f"submit{'_100k' if attachment else ''}_{'worker' if worker else 'noworker'}"
        fields = load_fields(result, len(senders))
        fields.update({"tickets": created, "mails": mails})
        figure(f"{name}_per_s", result.per_second, **fields)
        figure(f"{name}_p50_ms", result.median_ms, **fields)
        figure(f"{name}_p99_ms", result.percentile_ms(99), **fields)
        if not worker:
            self.queue_purge()  # the queued confirmations are not part of any figure

    def mails_sent(self) -> int:
        return sum(1 for _ in self.outbox.glob("*.eml")) if self.outbox.exists() else 0

    def queue_drain(self, timeout_seconds: float) -> None:
        """Wait until the worker has taken every queued task and finished it."""
        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        try:
            wait_until(lambda: client.llen("celery") == 0 and client.hlen("unacked") == 0,
                       timeout=timeout_seconds, interval=0.2, what="the task queue to drain")
        except AssertionError as error:
            log(f"{error}; purging")
            self.queue_purge()

    def inbound(self, people: fixtures.People) -> None:
        from bench.mail_throughput import raw_reply
        from mailgateway.models import InboundMessage

        count, senders = self.args.inbound_messages, max(1, min(self.args.concurrency, 8))
        numbers = people.inbound_tickets
        raws = [raw_reply(number=numbers[n % len(numbers)], email=people.inbound, n=n)
                for n in range(count)]
        smtp_port = free_port()
        listener = self.procs.start(
            [sys.executable, "manage.py", "smtp_inbound", "--port", str(smtp_port)],
            env={**self.env, "MAIL_SMTP_TRUSTED_RELAYS": "127.0.0.1/32"}, name="smtp")
        wait_until(lambda: port_open(smtp_port) or listener.poll() is not None, timeout=60,
                   what="the SMTP listener")
        last_id = InboundMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
        mine = InboundMessage.objects.filter(id__gt=last_id)
        started = time.perf_counter()
        cpu = time.process_time()
        threads = [threading.Thread(target=smtp_send, args=(smtp_port, raws[i::senders],
                                                            people.inbound))
                   for i in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = time.perf_counter()
        wait_until(lambda: mine.exclude(status=InboundMessage.Status.PENDING).count() >= count,
                   timeout=max(120, count / 5), interval=0.1, what="the replies to be processed")
        done = time.perf_counter()
        threaded = mine.filter(status=InboundMessage.Status.THREADED).count()
        figure("inbound_replies_per_s", threaded / (done - started), n=count, threaded=threaded,
               smtp_sessions=senders, intake_per_s=f"{count / (sent - started):.0f}",
               client_cpu=f"{100 * (time.process_time() - cpu) / (done - started):.0f}%")
        self.procs.stop(listener)

    # --- the run ------------------------------------------------------------------------

    def run(self) -> None:
        only = self.args.only
        people = self.prepare()
        self.start_web()
        if "ceiling" in only:
            self.ceiling(people)
        if "queue" in only:
            self.pages("agent_queue", people.agent,
                       [QUEUE, QUEUE + "?p=3", QUEUE + "?p=10"], tickets=self.tickets)
        if "desk" in only:
            self.desk(people)
        if "mytickets" in only:
            self.pages("my_tickets", people.my_tickets,
                       ["/", "/?page=2", "/?page=13", "/?page=25"],
                       tickets=self.args.my_tickets)
        if "submit" in only:
            for attachment in (False, True):
                self.submit(people, attachment=attachment, worker=False)
        if "submit" in only or "inbound" in only:
            self.start_worker()
        if "submit" in only:
            for attachment in (False, True):
                self.submit(people, attachment=attachment, worker=True)
            self.queue_drain(timeout_seconds=600)
        if "inbound" in only:
            self.inbound(people)

    def close(self) -> None:
        self.procs.stop_all()
        for client in self.clients.values():
            client.close()
        if self.args.drop_database and hasattr(self, "admin_url"):
            from django.db import connections

            connections.close_all()
            fixtures.database_drop(self.admin_url, self.args.database)
        shutil.rmtree(self.tmp, ignore_errors=True)


def smtp_send(port: int, raws: list[bytes], sender: str) -> None:
    """One SMTP session delivering its share of the replies."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for raw in raws:
            smtp.sendmail(sender, ["support@helpdesk.example"], raw)


def main(argv=None) -> None:
    args = arguments(argv)
    if "write" in args.only:  # bench/write_paths.py: its own servers, database and peer
        from bench import write_paths

        write_paths.main(["--concurrency", str(args.concurrency)]
                         + (["--runs", "1", "--duration", "2", "--no-peer"] if args.quick
                            else []))
        args.only = [group for group in args.only if group != "write"]
        if not args.only:
            return
    bench = Bench(args)
    try:
        bench.run()
    except BaseException:
        log(f"failed; the processes' last log lines:\n{bench.procs.logs()}")
        raise
    finally:
        bench.close()


if __name__ == "__main__":
    main()
