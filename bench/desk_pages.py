"""Server-side timings of the agent desk (/admin/desk/) on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_scale REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/desk_pages.py [--runs 60]

Load a volume first (`python manage.py seed_volume --tickets 1000000`). In-process through
Django's test client (full middleware, templates, admin login and second factor), after a
warm-up, beside a bare view (the same client, no template, no query) for the floor. Prints
median and 95th percentile of the server time, CPU, SQL time and the number of queries of
each page: the queue of each view with its counts, the counts alone (what the page polls),
the overview, searches by number / subject words / requester email, and the ticket page.

The counts: each view's count reads at most 1,001 index entries (desk_selectors.capped_count:
a view holding more says "1000+"), and the per-department counts come from the queue
overview computed at most every 30 seconds and kept in Redis; so neither grows with the
number of tickets (the overview's recomputation, every 30 s, grows with the open backlog).
It changes nothing but a session row and one staff user.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.admin_queue import _second_factor_passed, measure, percentile  # noqa: E402
from bench.fixtures import desk_filter_paths  # noqa: E402
from catalog.models import Department  # noqa: E402
from tickets.models import Message, Ticket  # noqa: E402

DESK = "/admin/desk/"


def cases(rng: random.Random) -> dict[str, list[str]]:
    total = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    some = list(Ticket.objects.filter(id__in=[rng.randrange(1, total + 1) for _ in range(400)])
                .values_list("pk", "number", "requester__email")[:60])
    longest = (Message.objects.values("ticket_id").order_by().annotate(n=Count("id"))
               .order_by("-n").values_list("ticket_id", flat=True).first())
    departments = list(Department.objects.values_list("pk", flat=True))
    return {
        "views (mine, unassigned, waiting, overdrawn)": [
            f"{DESK}?view={v}" for v in ("mine", "unassigned", "waiting", "overdrawn")],
        "each department": [f"{DESK}?view=department&department={d}" for d in departments],
        "filters (product, status, priority, assignee, due)": desk_filter_paths(DESK),
        "counts (polled)": [f"{DESK}counts/"],
        "overview": ["/admin/tickets/ticket/overview/"],
        "search (number)": [f"{DESK}?view=all&q={n}" for _pk, n, _e in some],
        "search (subject words)": [f"{DESK}?view=all&q={w}" for w in
                                   ("trunk+down", "one-way+audio", "firmware+upgrade")],
        "search (requester email)": [f"{DESK}?view=all&q={e}" for _pk, _n, e in some[:20]],
        "ticket page": [f"{DESK}ticket/{pk}/" for pk, _n, _e in some],
        "ticket page (longest ticket)": [f"{DESK}ticket/{longest}/"] if longest else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    agent, _ = User.objects.get_or_create(email="bench-agent@volume.example", defaults={
        "is_staff": True, "full_name": "Bench Agent"})
    agent.groups.add(Group.objects.get(name="Agents"))
    client = Client()
    client.force_login(agent)
    _second_factor_passed(client, agent)
    total = Ticket.objects.count()
    print(f"tickets: {total:,}, database: {connection.vendor}, runs per page: {args.runs}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)")
    print(f"{'page':45} {'median ms':>10} {'p95 ms':>8} {'cpu med':>8} {'sql med':>8} "
          f"{'queries':>8}")
    for name, urls in cases(random.Random(7)).items():
        if not urls:
            continue
        timings, cpu, sql, queries, _gc = measure(client, urls, args.runs)
        print(f"{name:45} {statistics.median(timings):10.1f} {percentile(timings, 95):8.1f} "
              f"{statistics.median(cpu):8.1f} {statistics.median(sql):8.1f} "
              f"{'/'.join(str(q) for q in sorted(queries)):>8}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
