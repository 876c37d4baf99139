"""Service-level warnings: the assignee (or, unassigned, every active agent) is emailed
once when a ticket's next due time is at risk (75 % of its target used) and once when it
is breached, by a beat job (tickets.tasks.sla_warnings_dispatch).

Once each: the ticket keeps the due time each warning was sent for (sla_risk_warned_for,
sla_breach_warned_for), checked and set under the ticket's row lock in the transaction
that records the emails (outbox) and the audit event. A new due time (a customer's next
message, a resumed clock) may warn again. Catch-up: the job selects by time, so after
downtime it sends what became due meanwhile; a ticket found already breached gets the
breach warning only (its at-risk moment has passed). Resolved or answered tickets have no
due time and are never warned. A policy may raise the priority on breach (one step; the
due times are kept: the raise escalates, it does not restart the clock) and reassign the
ticket to a named agent, who then gets the breach warning.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from outbox import services as outbox_services
from sla import clock

from .models import Ticket, TicketEvent

AT_RISK, BREACHED = "at_risk", "breached"
HEADERS = {"Auto-Submitted": "auto-generated"}


def tickets_needing_warning(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    unwarned_risk = Q(sla_risk_warned_for__isnull=True) | ~Q(sla_risk_warned_for=F("sla_due_at"))
    unwarned_breach = (Q(sla_breach_warned_for__isnull=True)
                       | ~Q(sla_breach_warned_for=F("sla_due_at")))
    return list(Ticket.objects.filter(sla_risk_at__lte=now, sla_due_at__isnull=False)
                .filter((Q(sla_due_at__gt=now) & unwarned_risk)
                        | (Q(sla_due_at__lte=now) & unwarned_breach))
                .order_by("sla_risk_at").values_list("pk", flat=True)[:limit])


def _recipients(ticket: Ticket) -> list:
    from accounts.models import User

    from .agents_group import AGENTS_GROUP

    if ticket.assignee_id and ticket.assignee.is_active:
        return [ticket.assignee]
    return list(User.objects.filter(is_active=True, is_staff=True,
                                    groups__name=AGENTS_GROUP).order_by("pk").distinct())


def _emails_record(*, ticket: Ticket, warning: str) -> int:
    url = settings.SITE_URL.rstrip("/") + reverse("admin:desk_ticket", args=[ticket.pk])
    recipients = _recipients(ticket)
    for agent in recipients:
        with translation.override(agent.mail_language), \
                timezone.override(agent.time_zone or settings.TIME_ZONE):
            context = {"ticket": ticket, "warning": warning, "recipient": agent, "url": url,
                       "due_at": timezone.localtime(ticket.sla_due_at),
                       "due_kind": ticket.sla_due_kind}
            subject = render_to_string("tickets/mail/sla_warning_subject.txt", context)
            body = render_to_string("tickets/mail/sla_warning.txt", context)
        outbox_services.outbox_email_record(kind=f"sla_{warning}", to_address=agent.email,
                                            subject=subject, body_text=body, headers=HEADERS)
    return len(recipients)


def _reassign(ticket: Ticket) -> None:
    policy = ticket.sla_policy if ticket.sla_policy_id else None
    target = policy.reassign_on_breach_to if policy and policy.reassign_on_breach_to_id else None
    if target is None or not target.is_active or ticket.assignee_id == target.pk:
        return
    TicketEvent.objects.create(ticket=ticket, actor=None, kind=TicketEvent.Kind.ASSIGNED,
                               data={"old": ticket.assignee_id, "new": target.pk,
                                     "new_email": target.email, "reason": "sla_breached"})
    ticket.assignee = target


def _raise_priority(ticket: Ticket) -> None:
    if not (ticket.sla_policy_id and ticket.sla_policy.raise_priority_on_breach):
        return
    if ticket.priority >= Ticket.Priority.URGENT:
        return
    TicketEvent.objects.create(ticket=ticket, actor=None, kind=TicketEvent.Kind.PRIORITY_CHANGED,
                               data={"old": ticket.priority, "new": ticket.priority + 1,
                                     "reason": "sla_breached"})
    ticket.priority += 1


def sla_warning_send(*, ticket_id: int, now: dt.datetime | None = None) -> str:
    """Send the warning due for one ticket, once; returns "at_risk", "breached" or ""."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",))
                  .select_related("assignee", "sla_policy").filter(pk=ticket_id).first())
        if ticket is None or ticket.status not in Ticket.OPEN_STATUSES:
            return ""
        state = clock.state(ticket, now=now)
        due = ticket.sla_due_at
        if state == BREACHED and ticket.sla_breach_warned_for != due:
            warning = BREACHED
            ticket.sla_breach_warned_for = due
            ticket.sla_risk_warned_for = due
            _raise_priority(ticket)
            _reassign(ticket)
        elif state == AT_RISK and ticket.sla_risk_warned_for != due:
            warning = AT_RISK
            ticket.sla_risk_warned_for = due
        else:
            return ""
        count = _emails_record(ticket=ticket, warning=warning)
        TicketEvent.objects.create(
            ticket=ticket, actor=None,
            kind=TicketEvent.Kind.SLA_BREACHED if warning == BREACHED
            else TicketEvent.Kind.SLA_AT_RISK,
            data={"due_at": due.isoformat(), "due_kind": ticket.sla_due_kind,
                  "notified": count})
        ticket.save(update_fields=["sla_breach_warned_for", "sla_risk_warned_for",
                                   "priority", "assignee"])
    return warning


def sla_warnings_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every warning due now (the beat job's body; also used by tests and the bench)."""
    sent = {AT_RISK: 0, BREACHED: 0}
    for ticket_id in tickets_needing_warning(now=now):
        warning = sla_warning_send(ticket_id=ticket_id, now=now)
        if warning:
            sent[warning] += 1
    return sent
