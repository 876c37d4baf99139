"""The write paths side by side with django-helpdesk (issue 16), over HTTP, in one command:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/13 \
        .venv/bin/python bench/write_paths.py [--runs 3] [--duration 10] [--peer-venv /work/peer/venv]

(also `make bench BENCH_ARGS="--only write"`). Against gunicorn (2 sync workers),
PostgreSQL, Redis and a real Celery worker on the same machine, concurrency --concurrency
(8), each figure the median of --runs windows (its spread printed), one a line with the
load average:
- bare_view, trivial_view_anon, trivial_view_user: the middleware stack against the ceiling;
- submit_noworker / submit_worker: the submit form's final POST signed in (CSRF, multipart,
  a fresh submission key each time), without a worker (confirmations queued) and with one
  sending them (mails= counts those written in the window);
- customer_reply / agent_reply (worker running): the ticket page's reply form and the
  desk's reply action, each recording and sending an email;
- worker_cpu_per_mail_ms: the Celery worker's CPU (its pool included) per confirmation
  sent during the submit_worker windows and the drain after them;
- ingest_sync_cpu_ms / ingest_batched_cpu_ms: CPU per inbound reply of `ingest_email --sync`'s
  path (store + process one by one) and of the worker's batched path (in-process);
- peer_submit_a / peer_submit_b: django-helpdesk's public ticket form, measured in
  windows alternating with ours (a: beside submit_noworker; b: beside the figures taken
  with our worker running, which are compared with it), installed in that
  virtualenv OUTSIDE the repository (`python -m venv /work/peer/venv &&
  /work/peer/venv/bin/pip install django-helpdesk gunicorn psycopg2-binary`), its site
  generated under --peer-dir, its database peer_helpdesk, its emails sent in the request
  by its own code (file backend); ratio= is ours over the peer's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import fixtures, httpload  # noqa: E402
from bench import run as bench_run  # noqa: E402
from tests.support.procs import free_port, port_open, wait_until  # noqa: E402

SUBMIT = bench_run.SUBMIT


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", default="bench_write")
    parser.add_argument("--peer-venv", default="/work/peer/venv")
    parser.add_argument("--peer-dir", default="/work/peer/site")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--ingest-messages", type=int, default=200)
    args = parser.parse_args(argv)
    args.quick, args.tickets, args.my_tickets, args.web_workers = False, 0, 0, 2
    args.worker_concurrency, args.only, args.drop_database = 2, ["write"], False
    args.latency_concurrency, args.inbound_messages = 1, 10
    return args


class Figures:
    """Each figure's windows; printed as the median with its spread."""

    def __init__(self):
        self.windows: dict[str, list[tuple[httpload.LoadResult, dict]]] = {}

    def add(self, name: str, result: httpload.LoadResult, **extra) -> None:
        if result.errors:
            bench_run.log(f"{name}: first error: {result.first_error}")
        self.windows.setdefault(name, []).append((result, extra))

    def median_rate(self, name: str) -> float:
        return statistics.median(r.per_second for r, _ in self.windows.get(name, [])) \
            if self.windows.get(name) else float("nan")

    def print(self, name: str, beside: str = "") -> None:
        windows = self.windows.get(name)
        if not windows:
            return
        rates = [r.per_second for r, _ in windows]
        p50 = statistics.median(r.median_ms for r, _ in windows)
        p99 = statistics.median(r.percentile_ms(99) for r, _ in windows)
        extra = {k: sum(e.get(k, 0) for _, e in windows) for k in ("mails",) if
                 any(k in e for _, e in windows)}
        fields = {"p50_ms": f"{p50:.1f}", "p99_ms": f"{p99:.1f}",
                  "spread": f"{min(rates):.1f}-{max(rates):.1f}", "runs": len(windows),
                  "errors": sum(r.errors for r, _ in windows), **extra}
        if beside and self.windows.get(beside):
            fields[f"x_{beside}"] = f"{statistics.median(rates) / self.median_rate(beside):.2f}"
        bench_run.figure(f"{name}_per_s", statistics.median(rates), **fields)


class WriteBench(bench_run.Bench):
    def __init__(self, args):
        super().__init__(args)
        self.figures = Figures()
        self.peer: Peer | None = None

    def senders_get(self, path: str, emails) -> list:
        senders = []
        for email in emails:
            client = self.client(email) if email else httpload.Client(self.port)
            request = client.build("GET", path)
            senders.append(lambda client=client, request=request: client.send(request))
        return senders

    def window(self, name: str, senders, *, expect=200, location="", **extra) -> None:
        mails = self.mails_sent()
        result = self.load(senders, expect=expect, location=location)
        if "mails" in extra:
            extra["mails"] = self.mails_sent() - mails
        self.figures.add(name, result, **extra)

    def reply_senders(self, people, tickets) -> tuple[list, list]:
        customers, agents = [], []
        agent = self.client(people.agent)
        for email, (pk, number) in zip(people.submitters, tickets, strict=False):
            client = self.client(email)
            path = f"/tickets/{number}/reply/"
            token = client.csrf_token(f"/tickets/{number}/")
            request = client.build("POST", path, content_type="application/x-www-form-urlencoded",
                                   body=urlencode({"csrfmiddlewaretoken": token,
                                                   "message": "The trunk re-registered."}
                                                  ).encode())
            customers.append(lambda client=client, request=request: client.send(request))
            desk = httpload.Client(self.port)
            desk.cookies = dict(agent.cookies)
            token = desk.csrf_token(f"/admin/desk/ticket/{pk}/")
            body = urlencode({"csrfmiddlewaretoken": token, "action": "reply", "kind": "reply",
                              "body": "Please check the SIP timers.", "seen_message": 10**12})
            request = desk.build("POST", f"/admin/desk/ticket/{pk}/do/reply/", body=body.encode(),
                                 content_type="application/x-www-form-urlencoded")
            agents.append(lambda client=desk, request=request: client.send(request))
        return customers, agents

    def tickets_ensure(self, people) -> list[tuple[int, str]]:
        from accounts.models import User
        from catalog.models import Department
        from tickets.models import Ticket

        department = Department.objects.get(code=fixtures.DEPARTMENT)
        out = []
        for email in people.submitters[:self.args.concurrency]:
            fixtures._tickets_ensure(User.objects.get(email=email), 1, department)
            out.append(Ticket.objects.filter(requester__email=email).order_by("id")
                       .values_list("pk", "number").first())
        return out

    def run(self) -> None:
        people = self.prepare()
        tickets = self.tickets_ensure(people)
        self.start_web()
        self.peer = peer_start(self)
        peer_senders = self.peer.senders() if self.peer else []
        c = self.args.concurrency
        submit = [httpload.SubmitRequests(self.client(email), SUBMIT, attachment=None)
                  for email in people.submitters[:c]]
        for run in range(self.args.runs):
            bench_run.log(f"run {run + 1}/{self.args.runs} without the worker")
            self.window("bare_view", self.senders_get("/bench/bare/", [None] * c))
            self.window("trivial_view_anon", self.senders_get("/bench/trivial/", [None] * c))
            self.window("trivial_view_user", self.senders_get("/bench/trivial/",
                                                              people.submitters[:c]))
            self.window("submit_noworker", submit, expect=302, location="/submitted/")
            self.queue_purge()
            self.backlog_discard()
            if self.peer:  # alternating with ours, in the same minutes
                self.peer_window("peer_submit_a", peer_senders)
        self.start_worker()
        customers, agents = self.reply_senders(people, tickets)
        from bench.mail_throughput import tree_cpu_seconds

        self.worker_cpu: list[tuple[float, int]] = []  # (worker CPU seconds, mails) per run
        for run in range(self.args.runs):
            bench_run.log(f"run {run + 1}/{self.args.runs} with the worker")
            cpu, mails = tree_cpu_seconds(self.worker.pid), self.mails_sent()
            self.window("submit_worker", submit, expect=302, location="/submitted/", mails=0)
            self.queue_drain(timeout_seconds=300)
            self.worker_cpu.append((tree_cpu_seconds(self.worker.pid) - cpu,
                                    self.mails_sent() - mails))
            self.window("customer_reply", customers, expect=302, location="/tickets/")
            self.window("agent_reply", agents, expect=302, location="/admin/desk/", mails=0)
            self.queue_drain(timeout_seconds=300)
            if self.peer:
                self.peer_window("peer_submit_b", peer_senders)

    def backlog_discard(self) -> None:
        """The confirmations left queued by a window without the worker are the bench's own
        leftovers: ended unsent (like the purged queue), so that the worker's windows measure
        the steady state (each email sent while its submissions go on) and not a backlog."""
        from django.conf import settings
        from django.utils import timezone

        from outbox.models import OutboxTask

        OutboxTask.objects.filter(name__in=settings.OUTBOX_DRAINED_TASKS,
                                  done_at__isnull=True).update(done_at=timezone.now())

    def peer_window(self, name: str, senders) -> None:
        mails = sum(1 for _ in self.peer.mail_dir.iterdir())
        result = self.load(senders, expect=302)
        self.figures.add(name, result,
                         mails=sum(1 for _ in self.peer.mail_dir.iterdir()) - mails)

    def report(self) -> None:
        f = self.figures
        for name in ("bare_view", "trivial_view_anon", "trivial_view_user"):
            f.print(name, beside="bare_view" if name != "bare_view" else "")
        peer = self.peer is not None
        f.print("peer_submit_a")
        f.print("submit_noworker", beside="peer_submit_a" if peer else "")
        f.print("peer_submit_b")
        for name in ("submit_worker", "customer_reply", "agent_reply"):
            f.print(name, beside="peer_submit_b" if peer else "")
        per_mail = [1000 * cpu / mails for cpu, mails in self.worker_cpu if mails]
        if per_mail:  # the Celery worker's whole CPU (pool, broker, task) per confirmation
            bench_run.figure("worker_cpu_per_mail_ms", statistics.median(per_mail),
                             spread=f"{min(per_mail):.1f}-{max(per_mail):.1f}",
                             mails=sum(m for _, m in self.worker_cpu))


def ingest_costs(args, people) -> None:
    """CPU per message: the MTA pipe's synchronous path against the worker's batches."""
    from bench.mail_throughput import raw_reply
    from mailgateway import services
    from mailgateway.tasks import process_inbound_batch

    numbers = people.inbound_tickets
    count = args.ingest_messages
    raws = [raw_reply(number=numbers[n % len(numbers)], email=people.inbound,
                      n=int(time.time() * 1000) * 1000 + n) for n in range(2 * count)]
    cpu = time.process_time()
    for raw in raws[:count]:  # what `ingest_email --sync` does per message
        row, _ = services.inbound_message_store(raw=raw, source="pipe")
        services.inbound_message_process(inbound_id=row.pk, stored=row)
    sync = 1000 * (time.process_time() - cpu) / count
    cpu = time.process_time()
    ids = services.inbound_messages_store(raws=raws[count:], source="pipe")
    for start in range(0, len(ids), 100):
        process_inbound_batch.run(ids[start:start + 100])
    batched = 1000 * (time.process_time() - cpu) / count
    bench_run.figure("ingest_sync_cpu_ms", sync, n=count)
    bench_run.figure("ingest_batched_cpu_ms", batched, n=count, ratio=f"{sync / batched:.2f}")


# --- the peer: django-helpdesk in its own virtualenv ---------------------------------------

PEER_SETTINGS = """
from pathlib import Path
SECRET_KEY = "peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages",
                  "django.contrib.staticfiles", "django.contrib.sites",
                  "django.contrib.humanize", "rest_framework", "helpdesk"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware",
              "django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware",
              "django.middleware.clickjacking.XFrameOptionsMiddleware"]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
              "APP_DIRS": True, "OPTIONS": {"context_processors": [
                  "django.template.context_processors.request",
                  "django.contrib.auth.context_processors.auth",
                  "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "peer_helpdesk",
                         "HOST": "{host}", "PORT": "{port}", "USER": "{user}",
                         "PASSWORD": "{password}"}}
SITE_ID = 1
STATIC_URL = "/static/"
USE_TZ = True
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = "{mail_dir}"
DEFAULT_FROM_EMAIL = "support@peer.example"
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams: the knowledge base is off too
LOGIN_URL = "/login/"
"""

PEER_URLS = """
from django.contrib import admin
from django.urls import include, path
urlpatterns = [path("admin/", admin.site.urls),
               path("", include("helpdesk.urls", namespace="helpdesk"))]
"""


class Peer:
    def __init__(self, args, procs):
        self.args, self.procs = args, procs
        self.dir = Path(args.peer_dir)
        self.python = str(Path(args.peer_venv) / "bin" / "python")
        self.port = free_port()

    def manage(self, *command: str) -> str:
        done = subprocess.run([self.python, "-c", "import django, sys; from django.core."
                               "management import execute_from_command_line as e; "
                               "django.setup(); e(['manage'] + sys.argv[1:])", *command],
                              cwd=self.dir, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"the peer's manage {command[0]} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def setup(self) -> None:
        from urllib.parse import urlparse

        parts = urlparse(os.environ.get("DATABASE_URL", ""))
        admin_url, _url = fixtures.database_urls(os.environ["DATABASE_URL"], "peer_helpdesk")
        fixtures.database_ensure(admin_url, "peer_helpdesk")
        self.dir.mkdir(parents=True, exist_ok=True)
        mail_dir = self.dir / "mail"
        mail_dir.mkdir(exist_ok=True)
        settings = PEER_SETTINGS
        for key, value in {"host": parts.hostname or "", "port": parts.port or "",
                           "user": parts.username or "", "password": parts.password or "",
                           "mail_dir": mail_dir}.items():
            settings = settings.replace("{" + key + "}", str(value))
        (self.dir / "peer_settings.py").write_text(settings)
        (self.dir / "peer_urls.py").write_text(PEER_URLS)
        self.env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(self.dir),
                    "DJANGO_SETTINGS_MODULE": "peer_settings"}
        self.manage("migrate", "--noinput", "-v", "0")
        self.queue = self.manage("shell", "-c", textwrap.dedent("""
            from helpdesk.models import Queue
            q, _ = Queue.objects.get_or_create(slug="support", defaults={
                "title": "Support", "allow_public_submission": True,
                "email_address": "support@peer.example", "new_ticket_cc": "agents@peer.example"})
            print(q.pk)""")).strip().splitlines()[-1]
        self.mail_dir = mail_dir

    def start(self) -> None:
        self.procs.start([str(Path(self.args.peer_venv) / "bin" / "gunicorn"), "-w", "2",
                          "-b", f"127.0.0.1:{self.port}", "peer_wsgi:application"],
                         env={**self.env, "PYTHONPATH": str(self.dir)}, name="peer", cwd=self.dir)
        wait_until(lambda: port_open(self.port), timeout=60, what="the peer's gunicorn")

    def senders(self) -> list:
        out = []
        for i in range(self.args.concurrency):
            client = httpload.Client(self.port)
            token = client.csrf_token("/tickets/submit/")
            body = urlencode({"csrfmiddlewaretoken": token, "queue": self.queue,
                              "title": "Calls drop after 30 seconds on the main trunk",
                              "body": "Since this morning every outbound call drops.",
                              "priority": "3", "submitter_email": f"peer{i}@bench.example"})
            request = client.build("POST", "/tickets/submit/", body=body.encode(),
                                   content_type="application/x-www-form-urlencoded")
            out.append(lambda client=client, request=request: client.send(request))
        return out


def peer_start(bench: WriteBench) -> Peer | None:
    args = bench.args
    if args.no_peer or not Path(args.peer_venv, "bin", "python").exists():
        bench_run.log(f"no peer virtualenv at {args.peer_venv}: see bench/README.md")
        return None
    peer = Peer(args, bench.procs)
    peer.setup()
    (peer.dir / "peer_wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\napplication = "
        "get_wsgi_application()\n")
    peer.start()
    return peer


def main(argv=None) -> None:
    args = arguments(argv)
    bench = WriteBench(args)
    try:
        bench.run()
        bench.report()
        from bench.fixtures import people_ensure

        ingest_costs(args, people_ensure(submitters=args.concurrency, my_tickets=0,
                                         inbound_tickets=10))
    except BaseException:
        bench_run.log(f"failed; the processes' last log lines:\n{bench.procs.logs()}")
        raise
    finally:
        bench.close()


if __name__ == "__main__":
    main()
