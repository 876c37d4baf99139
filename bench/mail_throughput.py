"""Inbound mail throughput, end to end through the real path:

    store raw (PostgreSQL) → queue (Redis) → Celery worker(s) → threaded reply on its ticket

Needs PostgreSQL and Redis:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/mail_throughput.py [--messages 10000] [--tickets 200] \
        [--concurrency 2] [--batch 100] [--workers 1]

It creates a fresh database (BENCH_DATABASE_NAME, default bench_hd_mail), loads the
catalogue by migrating, opens tickets, starts the worker subprocess(es), feeds the replies
(stored in batches through `inbound_accept_many`: one INSERT and one queued task per
batch), waits until every message is processed and prints messages per second, the CPU
per message of the workers, the PostgreSQL backends and the feeder, and (in-process) the
queries and CPU per message of processing alone. The feeder runs on the same machine
and CPU as the workers and PostgreSQL, so the figure is the whole system's.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes per worker")
    parser.add_argument("--workers", type=int, default=1, help="worker subprocesses")
    parser.add_argument("--batch", type=int, default=100, help="messages per queued task")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--profile-sample", type=int, default=500,
                        help="afterwards, process this many in-process to count queries/CPU")
    parser.add_argument("--cprofile", default="", help="write cProfile stats of the sample here")
    parser.add_argument("--only-profile", action="store_true",
                        help="skip the end-to-end run (profile the sample only)")
    return parser.parse_args()


def bench_database_url() -> tuple[str, str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point to PostgreSQL (postgres://…)")
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL must be set (redis://…)")
    name = os.environ.get("BENCH_DATABASE_NAME", "bench_hd_mail")
    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    return admin, urlunparse(parts._replace(path=f"/{name}")), name


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s",
                    [name])
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(admin_url: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s",
                    [name])
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


def raw_reply(*, number: str, email: str, n: int) -> bytes:
    return (
        f"From: Bench Customer <{email}>\r\nTo: support@helpdesk.example\r\n"
        f"Subject: RE: [#{number}] Calls drop after 30 seconds\r\n"
        f"Message-ID: <bench-{n}-{uuid.uuid4().hex[:12]}@customer.example>\r\n"
        f"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Update {n}: the trunk re-registered and calls now last. Gracias.\r\n\r\n"
        f"On Tue, 24 Nov 2026 at 09:00, Support <support@helpdesk.example> wrote:\r\n"
        f"> Please check the SIP session timers.\r\n> Regards\r\n"
    ).encode()


def setup_data(tickets: int) -> list[tuple[str, str]]:
    """Tickets to reply to: (number, requester email)."""
    from accounts.models import Organization, User
    from catalog.models import Department
    from tickets import services

    org = Organization.objects.create(name="Bench Telecom")
    department = Department.objects.get(code="sipstation-general")
    users = [User.objects.create_user(email=f"bench{u}@customer.example", password=None,
                                      organization=org, full_name=f"Bench {u}")
             for u in range(10)]
    out = []
    for t in range(tickets):
        user = users[t % len(users)]
        ticket = services.ticket_create(requester=user, department=department,
                                        subject="Calls drop after 30 seconds", body="Details")
        out.append((ticket.number, user.email))
    return out


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds so far of a process and its living descendants (a worker and its pool)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += _cpu_seconds(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return total


def backends_cpu_seconds(database: str) -> dict[int, float]:
    """CPU seconds (user+system) so far of each PostgreSQL backend connected to the bench
    database (a local server: read from /proc; {} when it is not readable)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        pids = [row[0] for row in cursor.fetchall()]
    return {pid: _cpu_seconds(pid) for pid in pids}


def start_workers(count: int, concurrency: int, env: dict, log_dir: Path) -> list:
    processes = []
    for w in range(count):
        log = open(log_dir / f"worker-{w}.log", "wb")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-P", "prefork",
             "-c", str(concurrency), "-n", f"bench{w}-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING",
             "--prefetch-multiplier", "2", "-O", "fair"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return processes


def wait_workers_ready(app, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if len([r for r in replies if any(k.startswith("bench") for k in r)]) >= count:
            return
    sys.exit("workers did not start")


def profile(targets: list[tuple[str, str]], count: int, batch: int, dump: str = "") -> None:
    """Per-message cost of processing alone, in this process, on the workers' path
    (`process_inbound_batch` over batches of --batch): queries and CPU. With --cprofile,
    the cProfile statistics are written to that file (and the top lines printed)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mailgateway import services
    from mailgateway.tasks import process_inbound_batch

    raws = [raw_reply(number=targets[n % len(targets)][0], email=targets[n % len(targets)][1],
                      n=10_000_000 + n) for n in range(count)]
    ids = services.inbound_messages_store(raws=raws, source="pipe")
    profiler = cProfile.Profile() if dump else None
    cpu, wall = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        if profiler:
            profiler.enable()
        for start in range(0, len(ids), batch):
            process_inbound_batch.run(ids[start:start + batch])
        if profiler:
            profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"processing alone:    {len(queries.captured_queries) / count:.1f} queries/message, "
          f"{1000 * cpu / count:.2f} ms Python CPU/message, {1000 * wall / count:.2f} ms wall "
          f"(sample of {count} in batches of {batch}, one process)")
    if profiler:
        profiler.dump_stats(dump)
        pstats.Stats(dump).sort_stats("cumulative").print_stats(25)


def main() -> None:
    args = arguments()
    admin_url, url, name = bench_database_url()
    recreate_database(admin_url, name)
    tmp = Path(tempfile.mkdtemp(prefix="hd-bench-"))
    os.environ.update({"DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": "false",
                       "HELPDESK_VAR_DIR": str(tmp / "var"), "MAIL_OUTBOX_DIR": str(tmp / "out"),
                       "MEDIA_ROOT": str(tmp / "media"), "LOG_LEVEL": "WARNING",
                       "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"})
    os.environ.pop("TEST_DATABASE_NAME", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)

    from helpdesk.celery import app
    from mailgateway.models import InboundMessage
    from mailgateway.sources import inbound_accept_many
    from tickets.models import Message

    targets = setup_data(args.tickets)
    raws = [raw_reply(number=targets[n % len(targets)][0], email=targets[n % len(targets)][1],
                      n=n) for n in range(args.messages)]
    app.control.purge()  # the confirmations of the bench tickets are not part of the figure
    if args.only_profile:
        profile(targets, args.profile_sample, args.batch, args.cprofile)
        return
    workers = start_workers(args.workers, args.concurrency, dict(os.environ), tmp)
    try:
        wait_workers_ready(app, args.workers)
        pg_before = backends_cpu_seconds(name)
        workers_before = sum(tree_cpu_seconds(process.pid) for process in workers)
        start, feeder_cpu = time.perf_counter(), time.process_time()
        # Stored in batches (one INSERT each), each batch queued as one task on commit.
        inbound_accept_many(raws=raws, source="pipe", batch_size=args.batch)
        stored, feeder_cpu = time.perf_counter(), time.process_time() - feeder_cpu
        while InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).exists():
            time.sleep(0.05)
        done = time.perf_counter()
        pg_after = backends_cpu_seconds(name)
        worker_cpu = sum(tree_cpu_seconds(process.pid) for process in workers) - workers_before
    finally:
        for process in workers:
            os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            process.wait(30)
    startup_cpu = sum(os.times()[2:4]) - worker_cpu  # the waited-for workers, whole life

    threaded = InboundMessage.objects.filter(status=InboundMessage.Status.THREADED).count()
    replies = Message.objects.filter(source=Message.Source.EMAIL).count()
    elapsed = done - start
    print(f"messages:            {args.messages}")
    print(f"workers:             {args.workers} x prefork concurrency {args.concurrency}, "
          f"batch {args.batch}, cpus {os.cpu_count()}")
    print(f"threaded replies:    {threaded} inbound threaded, {replies} ticket messages")
    print(f"store+queue:         {stored - start:.2f} s ({args.messages / (stored - start):.0f} msg/s)")
    print(f"end to end:          {elapsed:.2f} s")
    print(f"THROUGHPUT:          {args.messages / elapsed:.0f} messages/second end to end")
    print(f"load average:        {' / '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"(1/5/15 min; other processes on the machine count too)")
    per = 1000 / args.messages
    pg_cpu = sum(pg_after.get(pid, 0) - pg_before.get(pid, 0) for pid in pg_after)
    print(f"CPU per message:     workers {worker_cpu * per:.2f} ms, PostgreSQL backends "
          f"{pg_cpu * per:.2f} ms, feeder (store+queue) {feeder_cpu * per:.2f} ms; "
          f"total {(worker_cpu + pg_cpu + feeder_cpu) * per:.2f} ms "
          f"= at most {args.messages / (worker_cpu + pg_cpu + feeder_cpu) * os.cpu_count():.0f}"
          f" msg/s on {os.cpu_count()} idle cores")
    print(f"worker start/stop:   {startup_cpu:.1f} s CPU (not in the figures above)")
    if args.profile_sample:
        profile(targets, args.profile_sample, args.batch, args.cprofile)
    if threaded != args.messages or replies != args.messages:
        print("WARNING: not every message ended threaded exactly once", file=sys.stderr)
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        drop_database(admin_url, name)


if __name__ == "__main__":
    main()
