"""What an organization admin sees of how support is doing for their organization (the
customer site's "Support report"): credits consumed per month and per ticket, satisfaction,
and first responses against their service-level targets. Reads only the admin's own
organization (the credit account credits.selectors gives them)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from credits.models import LedgerEntry

from .models import SatisfactionSurvey, Ticket

MONTHS = 12
TICKETS_SHOWN = 20


def _since() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=MONTHS * 31)


def credits_per_month(*, account) -> list[tuple[str, int]]:
    rows = (LedgerEntry.objects.filter(account=account, created_at__gte=_since(),
                                       kind__in=[LedgerEntry.Kind.TIME_DEBIT,
                                                 LedgerEntry.Kind.REFUND])
            .annotate(month=TruncMonth("created_at")).values("month")
            .annotate(total=Sum("minutes")).order_by("month"))
    return [(timezone.localtime(r["month"]).strftime("%Y-%m")
             if isinstance(r["month"], dt.datetime) else str(r["month"])[:7], -r["total"])
            for r in rows]


def credits_per_ticket(*, account) -> list[tuple[str, int]]:
    rows = (LedgerEntry.objects.filter(account=account, created_at__gte=_since(),
                                       ticket_number__gt="",
                                       kind__in=[LedgerEntry.Kind.TIME_DEBIT,
                                                 LedgerEntry.Kind.REFUND])
            .values("ticket_number").annotate(total=Sum("minutes"))
            .order_by("total", "ticket_number")[:TICKETS_SHOWN])
    return [(r["ticket_number"], -r["total"]) for r in rows if r["total"]]


def satisfaction(*, organization_id: int) -> dict[str, int]:
    counts = (SatisfactionSurvey.objects.filter(ticket__organization_id=organization_id,
                                                rated_at__gte=_since())
              .aggregate(good=Count("id", filter=Q(rating="good")),
                         bad=Count("id", filter=Q(rating="bad"))))
    return {"good": counts["good"] or 0, "bad": counts["bad"] or 0}


def first_responses(*, organization_id: int) -> list[dict]:
    """Per policy: tickets with a first-response target, met, breached, median minutes."""
    now = timezone.now()
    per_policy: dict[str, dict] = defaultdict(lambda: {"total": 0, "met": 0, "late": 0,
                                                       "minutes": []})
    rows = (Ticket.objects.filter(organization_id=organization_id,
                                  first_response_due_at__isnull=False,
                                  created_at__gte=_since())
            .values_list("sla_policy__name", "created_at", "first_responded_at",
                         "first_response_due_at"))
    for policy, created, answered, due in rows:
        entry = per_policy[policy or "—"]
        entry["total"] += 1
        if answered is not None:
            entry["minutes"].append((answered - created).total_seconds() / 60)
        if answered is not None and answered <= due:
            entry["met"] += 1
        elif answered is not None or due <= now:
            entry["late"] += 1
    return [{"policy": name, "total": e["total"], "met": e["met"], "late": e["late"],
             "median_minutes": round(statistics.median(e["minutes"])) if e["minutes"] else None}
            for name, e in sorted(per_policy.items())]


