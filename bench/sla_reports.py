"""Server-side timings of the service-level views and the reports on the configured
database (issue 12): the queue's due filters, each report over 30 and 365 days, and the
warnings job's selection.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_scale REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/sla_reports.py [--runs 20]

Load a volume first (`python manage.py seed_volume --tickets 1000000`: its tickets carry an
8-hour first-response target), then the reports' roll-ups (`python manage.py reports_rollup
--all`; without them the reports compute every day live). Requests go in-process through
Django's test client (full middleware, templates, admin) as a staff member of the Agents and
Support managers groups, after a warm-up; prints the median and 95th percentile of the
server time, the SQL time and the number of queries of each page, then the time of one run
of the roll-ups' beat job (it computes the recent days again). It changes nothing but a
session row, one user and those days' roll-ups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.admin_queue import _second_factor_passed, measure, percentile  # noqa: E402
from reports import rollups  # noqa: E402
from reports.models import RollupDay  # noqa: E402
from reports.queries import REPORTS  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.sla_warnings import tickets_needing_warning  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    user, _ = User.objects.get_or_create(email="bench-manager@volume.example", defaults={
        "is_staff": True, "full_name": "Bench Manager"})
    for name in ("Agents", "Support managers"):
        user.groups.add(Group.objects.get(name=name))
    client = Client()
    client.force_login(user)
    _second_factor_passed(client, user)
    today = timezone.localdate()
    pages = {"queue_due_soon": ["/admin/tickets/ticket/?due=soon"],
             "queue_due_any": ["/admin/tickets/ticket/?due=any"],
             "queue_breached": ["/admin/tickets/ticket/?due=breached"]}
    for days in (30, 365):
        start = (today - dt.timedelta(days=days - 1)).isoformat()
        for slug in REPORTS:
            pages[f"report_{slug}_{days}d"] = [
                f"/admin/reports/{slug}/?date_from={start}&date_to={today.isoformat()}"]
    print(f"tickets={Ticket.objects.count()} load={os.getloadavg()}")
    for name, urls in pages.items():
        timings, _cpu, sql, queries, _gc = measure(client, urls, args.runs, warmup=1)
        print(f"{name}_p50_ms {statistics.median(timings):.1f} "
              f"p95_ms={percentile(timings, 95):.1f} sql_ms={statistics.median(sql):.1f} "
              f"queries={sorted(queries)}")
    started = time.perf_counter()
    found = len(tickets_needing_warning())
    print(f"sla_warnings_selection_ms {(time.perf_counter() - started) * 1000:.1f} "
          f"found={found}")
    stored = RollupDay.objects.count()
    started = time.perf_counter()
    days = rollups.rollups_refresh(batch_days=0)
    print(f"reports_rollups_refresh_ms {(time.perf_counter() - started) * 1000:.1f} "
          f"days_computed={len(days)} days_stored={stored}")
    print(f"load={os.getloadavg()}")


if __name__ == "__main__":
    main()
