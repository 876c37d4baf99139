"""Server-side timings of the back-office ticket list (the stock admin change list at
/admin/tickets/ticket/) on the configured database. Agents work on the desk: its pages are
measured by bench/desk_pages.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_scale REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/admin_queue.py [--runs 60]

(the production profile's parts: PostgreSQL, and Redis for the cache, sessions and
permission sets.)

Load a volume first (`python manage.py seed_volume --tickets 1000000`). Each page is requested
in-process through Django's test client (full middleware, templates, admin), after a warm-up;
the script prints the median and the 95th percentile of the server time, the process's CPU
time, the time spent in SQL, the garbage collector's pauses and the number of SQL queries of
each page. It changes nothing
but a session row and one staff user (an Agents member, not a superuser).

The pages: the list newest first (pages 1, 3, 10), every department's open tickets, each
product's tickets and two priority filters, a search by ticket number, by common subject
words (~3 % of the tickets match each) and by requester email. On a shared machine, read the CPU and SQL columns with the load average
printed before and after: wall times grow with the other processes' load.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.fixtures import agent_authenticator_ensure  # noqa: E402
from catalog.models import Department  # noqa: E402
from tickets.models import Ticket  # noqa: E402

LIST = "/admin/tickets/ticket/"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class GCPauses:
    """Milliseconds the garbage collector ran, from gc.callbacks."""

    def __init__(self):
        self.total_ms, self._started = 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, _info):
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total_ms += (time.perf_counter() - self._started) * 1000


GC_PAUSES = GCPauses()


def measure(client: Client, urls, runs: int, warmup: int = 3):
    for url in urls[:warmup]:
        client.get(url)
    timings, cpu, sql, queries = [], [], [], set()
    gc_before = GC_PAUSES.total_ms
    for i in range(runs):
        url = urls[i % len(urls)]
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        timings.append(elapsed)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        queries.add(len(captured))
    return timings, cpu, sql, queries, (GC_PAUSES.total_ms - gc_before) / runs


def _second_factor_passed(client: Client, agent) -> None:
    """As after the agent typed the code of their authenticator (accounts.two_factor): the
    queue is measured with the device check every admin page makes."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.two_factor import PENDING_SESSION_KEY

    agent_authenticator_ensure(agent)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=agent).persistent_id
    session.pop(PENDING_SESSION_KEY, None)
    session.save()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    agent, _ = User.objects.get_or_create(email="bench-agent@volume.example", defaults={
        "is_staff": True, "full_name": "Bench Agent"})
    agent.groups.add(Group.objects.get(name="Agents"))  # measured as an agent, not a superuser
    client = Client()
    client.force_login(agent)
    _second_factor_passed(client, agent)

    rng = random.Random(7)
    total = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    departments = list(Department.objects.values_list("pk", flat=True))
    some = list(Ticket.objects.filter(id__in=[rng.randrange(1, total + 1) for _ in range(400)])
                .values_list("pk", "number", "subject")[:60])
    products = list(Department.objects.values_list("product_id", flat=True).distinct())
    words = ["trunk down", "one-way audio", "Fax not received", "certificate expired",
             "firmware upgrade"]
    emails = list(User.objects.filter(pk__in=Ticket.objects.filter(
        pk__in=[pk for pk, _n, _s in some]).values("requester_id")).values_list(
        "email", flat=True)[:20])
    cases = {
        "list (newest first)": [LIST, LIST + "?p=3", LIST + "?p=10"],
        "filtered (dept+status)": [f"{LIST}?department__id__exact={d}&status__exact=open"
                                   for d in departments],
        "filtered (product, priority)": (
            [f"{LIST}?department__product__id__exact={p}" for p in products]
            + [LIST + "?priority__exact=4", LIST + "?status__exact=new&priority__exact=3"]),
        "search (number)": [f"{LIST}?q={n}" for _pk, n, _s in some],
        "search (subject words)": [f"{LIST}?q={w.replace(' ', '+')}" for w in words],
        "search (requester email)": [f"{LIST}?q={e}" for e in emails] or [LIST],
    }
    print(f"tickets: ~{total:,} (max id), database: {connection.vendor}, runs per page: {args.runs}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)")
    print(f"{'page':45} {'median ms':>10} {'p95 ms':>8} {'cpu med':>8} {'sql med':>8} "
          f"{'sql p95':>8} {'gc ms':>8} {'queries':>8}")
    for name, urls in cases.items():
        timings, cpu, sql, queries, gc_ms = measure(client, urls, args.runs)
        print(f"{name:45} {statistics.median(timings):10.1f} {percentile(timings, 95):8.1f} "
              f"{statistics.median(cpu):8.1f} {statistics.median(sql):8.1f} "
              f"{percentile(sql, 95):8.1f} {gc_ms:8.2f} "
              f"{'/'.join(str(q) for q in sorted(queries)):>8}")
    print(f"load average after: {os.getloadavg()[0]:.2f}. 'cpu med': this process's CPU time "
          "per request (Python, templates); 'sql': time spent waiting on SQL per request; "
          "'gc ms': the garbage collector's pauses per request (mean).")


if __name__ == "__main__":
    main()
