"""Read queries of the agent workspace (the admin). Staff see every ticket.

Every function issues a fixed number of queries, whatever the size of the ticket, so that
the ticket page and the queue cost the same at ten tickets and at a million.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Department
from credits.models import CreditAccount
from credits.selectors import credit_balance_minutes, ticket_minutes_consumed

from . import numbers
from .models import CannedReply, Message, Ticket, TicketEvent, TimeEntry


def agents() -> QuerySet:
    return (get_user_model().objects.filter(is_staff=True, is_active=True)
            .only("id", "email", "full_name").order_by("email"))


def overdrawn_organization_ids() -> list[int]:
    return list(CreditAccount.objects.filter(balance_minutes__lt=0)
                .values_list("organization_id", flat=True))


def organization_ids_matching(text: str, *, limit: int = 500) -> list[int]:
    from accounts.models import Organization

    return list(Organization.objects.filter(name__icontains=text)
                .values_list("pk", flat=True)[:limit])


def organization_names(*, ids: set[int]) -> dict[int, str]:
    from accounts.models import Organization

    return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))


def user_emails_and_names(*, ids: set[int]) -> dict[int, tuple[str, str]]:
    return {pk: (email, name) for pk, email, name in get_user_model().objects
            .filter(pk__in=ids).values_list("pk", "email", "full_name")}


def requester_ids_matching(text: str, *, limit: int = 500) -> list[int]:
    """Contacts by exact email, or by the start of their email address."""
    users = get_user_model().objects
    text = text.strip().lower()
    if "@" in text and "." in text.rsplit("@", 1)[-1]:
        exact = list(users.filter(email=text).values_list("pk", flat=True))
        if exact:
            return exact
    return list(users.filter(email__startswith=text).values_list("pk", flat=True)[:limit])


# --- the queue: filters and search (the admin's list filters and the API call these) -----

def is_id(value) -> bool:
    """A value that can be a primary key; anything else typed into a URL is ignored."""
    value = "" if value is None else str(value)
    return bool(value) and value.isascii() and value.isdigit() and len(value) <= 18


def queue_by_product(queryset, product_id):
    ids = list(Department.objects.filter(product_id=product_id).values_list("pk", flat=True))
    return queryset.filter(department_id__in=ids)


def queue_by_assignee(queryset, value: str, *, user):
    """"me", "none" (unassigned) or an agent's id; anything else: every ticket."""
    if value == "me":
        return queryset.filter(assignee_id=user.pk)
    if value == "none":
        return queryset.filter(assignee__isnull=True)
    if is_id(value):
        return queryset.filter(assignee_id=value)
    return queryset


def queue_by_credits_rule(queryset, rule: str):
    ids = list(Department.objects.filter(credits_rule=rule).values_list("pk", flat=True))
    return queryset.filter(department_id__in=ids)


def queue_overdrawn(queryset):
    return queryset.filter(organization_id__in=overdrawn_organization_ids())


def queue_by_organization(queryset, value: str):
    """An organization's id, or (part of) its name."""
    value = (value or "").strip()
    if not value:
        return queryset
    if is_id(value):
        return queryset.filter(organization_id=int(value))
    return queryset.filter(organization_id__in=organization_ids_matching(value))


def queue_search(queryset, term: str):
    """Ticket number (or its start), requester email, subject or organization name."""
    term = " ".join((term or "").split())
    if not term:
        return queryset
    if number := numbers.number_parse(term):
        return queryset.filter(number=number)
    if prefix := numbers.number_prefix_parse(term):
        return queryset.filter(number__startswith=prefix)
    if "@" in term:
        return queryset.filter(requester_id__in=requester_ids_matching(term))
    org_ids = organization_ids_matching(term)
    return queryset.filter(Q(subject__icontains=term) | Q(organization_id__in=org_ids))


# --- the ticket page ---------------------------------------------------------------------

def _messages(ticket: Ticket) -> QuerySet:
    """A ticket's messages with author, attachments and the stored original of an emailed
    message (without its raw bytes): what a conversation shows."""
    qs = ticket.messages.select_related("author").prefetch_related("attachments")
    if _has_inbound_relation():
        qs = qs.select_related("inbound").defer("inbound__raw")
    return qs


def ticket_conversation(*, ticket: Ticket) -> list[Message]:
    """Every message, oldest first."""
    return list(_messages(ticket).order_by("created_at", "id"))


def ticket_conversation_window(*, ticket: Ticket, before_id: int | None = None,
                               limit: int = 30) -> tuple[list[Message], bool]:
    """The `limit` newest messages (older than `before_id` when given), oldest first, and
    whether older ones remain: a long ticket opens on its latest messages and shows the
    rest on demand, in the same fixed number of queries whatever its length."""
    qs = _messages(ticket)
    if before_id is not None:  # before it in the conversation's order (time, then id)
        at = ticket.messages.filter(pk=before_id).values_list("created_at", flat=True).first()
        if at is None:
            return [], False
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=before_id))
    newest = list(qs.order_by("-created_at", "-id")[:limit + 1])
    return newest[:limit][::-1], len(newest) > limit


def ticket_conversation_after(*, ticket: Ticket, after_id: int, limit: int = 50
                              ) -> list[Message]:
    """The messages newer than `after_id` (the desk's live updates), oldest first."""
    return list(_messages(ticket).filter(pk__gt=after_id).order_by("id")[:limit])


def _has_inbound_relation() -> bool:
    try:
        Message._meta.get_field("inbound")
    except Exception:  # the mail gateway is not installed
        return False
    return True


def message_original_email(*, ticket_id: int, message_id: int) -> tuple[Message, str] | None:
    """The message and the raw email it was stored from, decoded for display; None when
    the message did not come by email (or the mail gateway is not installed)."""
    if not _has_inbound_relation():
        return None
    message = (Message.objects.select_related("inbound", "ticket")
               .filter(pk=message_id, ticket_id=ticket_id).first())
    inbound = getattr(message, "inbound", None) if message is not None else None
    if inbound is None:
        return None
    return message, bytes(inbound.raw).decode("utf-8", errors="replace")


def ticket_field_values(*, ticket: Ticket) -> list:
    """The answers to the department's questions given when the ticket was opened."""
    return list(ticket.field_values.select_related("field").order_by("field__position", "id"))


def ticket_events(*, ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.select_related("actor").order_by("created_at", "id"))


def ticket_time_entries(*, ticket: Ticket) -> list[TimeEntry]:
    return list(ticket.time_entries.select_related("agent", "reverses")
                .annotate(reversal_count=Count("reversed_by"))
                .order_by("created_at", "id"))


def canned_replies_for(*, department_id: int) -> list[CannedReply]:
    return list(CannedReply.objects.filter(is_active=True)
                .filter(Q(department__isnull=True) | Q(department_id=department_id)))


@dataclass(frozen=True)
class Entitlements:
    """What stands beside a ticket: who pays and what the customer is entitled to."""

    paying_organization_id: int
    balance_minutes: int
    ticket_minutes: int
    ticket_consumed_minutes: int
    contract: object | None
    contract_active: bool | None
    warranty_active: bool | None
    maintenance_active: bool | None


def ticket_entitlements(*, ticket: Ticket, time_entries: list[TimeEntry]) -> Entitlements:
    today = timezone.localdate()
    paying = ticket.paying_organization_id or ticket.organization_id
    contract = None
    if ticket.deployment_id:
        contract = (ticket.deployment.contracts.select_related("plan")
                    .order_by("-ends_on").first())
    hardware, module = ticket.hardware_item, ticket.module_licence
    return Entitlements(
        paying_organization_id=paying,
        balance_minutes=credit_balance_minutes(organization_id=paying),
        ticket_minutes=sum(e.minutes for e in time_entries),
        ticket_consumed_minutes=ticket_minutes_consumed(ticket_id=ticket.pk),
        contract=contract,
        contract_active=contract.is_active_on(today) if contract else None,
        warranty_active=(hardware.warranty_ends_on is not None
                         and hardware.warranty_ends_on >= today) if hardware else None,
        maintenance_active=(module.maintenance_ends_on >= today) if module else None,
    )


# --- the queue overview ------------------------------------------------------------------

OVERVIEW_CACHE_KEY = "tickets:queue-overview:v1"
# Celery beat recomputes the overview every OVERVIEW_REFRESH_SECONDS (tickets.tasks) and keeps
# it a little longer than that, so that no page pays for counting; a page computes it only
# when the cache holds none (beat stopped, Redis emptied) and keeps it max_age_seconds.
OVERVIEW_REFRESH_SECONDS = 30
OVERVIEW_REFRESHED_TTL_SECONDS = 120


def queue_overview_refresh() -> None:
    """Count once and keep the result (beat's job, see tickets.tasks)."""
    from django.core.cache import cache

    from accounts.cache_guard import best_effort

    value = (queue_overview(), timezone.now())
    best_effort(lambda: cache.set(OVERVIEW_CACHE_KEY, value, OVERVIEW_REFRESHED_TTL_SECONDS))


def queue_overview_cached(*, max_age_seconds: int = 30) -> tuple[list[dict], object]:
    """The overview as computed at most max_age_seconds ago, and when it was computed:
    counting every open ticket of a million-ticket table takes a noticeable fraction of a
    second, too much for the admin's home page on every visit. Computed on every visit while
    the cache (Redis) is down."""
    from django.core.cache import cache

    from accounts.cache_guard import CacheUnavailable, best_effort, guarded

    try:
        cached = guarded(lambda: cache.get(OVERVIEW_CACHE_KEY))
    except CacheUnavailable:
        return queue_overview(), timezone.now()
    if cached is None:
        cached = (queue_overview(), timezone.now())
        best_effort(lambda: cache.set(OVERVIEW_CACHE_KEY, cached, max_age_seconds))
    return cached


def queue_overview() -> list[dict]:
    """Per department: new, open, unassigned, waiting on customer, and the ticket waiting
    for us the longest. Two queries."""
    open_statuses = list(Ticket.OPEN_STATUSES)
    counts = {
        row["department_id"]: row for row in
        Ticket.objects.filter(status__in=open_statuses).values("department_id").annotate(
            new=Count("id", filter=Q(status=Ticket.Status.NEW)),
            open=Count("id", filter=Q(status=Ticket.Status.OPEN)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
            waiting_customer=Count("id", filter=Q(status=Ticket.Status.WAITING_CUSTOMER)),
        ).order_by()
    }
    oldest = (Ticket.objects.filter(department_id=OuterRef("pk"), waiting_since__isnull=False)
              .order_by("waiting_since", "-last_activity_at", "-id"))
    departments = (Department.objects.select_related("product").annotate(
        oldest_id=Subquery(oldest.values("pk")[:1]),
        oldest_number=Subquery(oldest.values("number")[:1]),
        oldest_since=Subquery(oldest.values("waiting_since")[:1]),
    ))
    rows = []
    for d in departments:
        c = counts.get(d.pk, {})
        rows.append({"department": d, "new": c.get("new", 0), "open": c.get("open", 0),
                     "unassigned": c.get("unassigned", 0),
                     "waiting_customer": c.get("waiting_customer", 0),
                     "oldest_id": d.oldest_id, "oldest_number": d.oldest_number,
                     "oldest_since": d.oldest_since})
    return rows


def move_refund_booked(*, ticket: Ticket) -> int:
    """The minutes the ticket's latest move to another department refunded (its
    credits_refunded event, 0 without one). Read in the move's transaction, while the
    ticket is locked, it is that move's."""
    move = (TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.DEPARTMENT_CHANGED)
            .order_by("-pk").values_list("pk", flat=True).first())
    if move is None:
        return 0
    refund = (TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CREDITS_REFUNDED,
                                         pk__gt=move).order_by("pk").first())
    return int(refund.data.get("minutes", 0)) if refund else 0
