"""Reads of the agent desk. Staff see every ticket; each function issues a fixed number of
queries whatever the page size or the length of the ticket.

Counts: each view's count reads at most COUNT_CAP + 1 rows of an index (a view holding
more says "1000+"), so it costs the same at ten thousand tickets and at a million; the
per-department counts come from the queue overview, computed over open tickets at most
every 30 seconds and kept in Redis (workspace_selectors.queue_overview_cached).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Department, DepartmentField

from . import customer_selectors, history, numbers
from . import workspace_selectors as ws
from .models import Ticket

COUNT_CAP = 1000
QUEUE_FIELDS = ("id", "number", "subject", "status", "priority", "assignee_id",
                "department_id", "organization_id", "requester_id", "last_activity_at",
                "waiting_since", "sla_due_at", "sla_risk_at")
VIEWS = ("mine", "unassigned", "waiting", "overdrawn", "department", "all")
OPEN = list(Ticket.OPEN_STATUSES)
WORKING = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.ON_HOLD]


def queue_order():
    return (F("waiting_since").asc(nulls_last=True), "-last_activity_at", "-id")


def view_queryset(*, view: str, user, department_id: int | None = None,
                  status: str = "") -> QuerySet:
    """A view's tickets; `status` (a filter) lets "all" reach closed tickets too."""
    qs = Ticket.objects.filter(merged_into__isnull=True)
    if view == "mine":
        return qs.filter(assignee=user, status__in=OPEN)
    if view == "unassigned":
        return qs.filter(assignee__isnull=True, status__in=WORKING)
    if view == "waiting":
        return qs.filter(status=Ticket.Status.WAITING_CUSTOMER)
    if view == "overdrawn":
        return qs.filter(status__in=OPEN,
                         organization_id__in=ws.overdrawn_organization_ids())
    if view == "department" and department_id:
        return qs.filter(department_id=department_id, status__in=OPEN)
    return qs.filter(status=status) if status else qs.filter(status__in=OPEN)


DUE_FILTERS = ("soon", "breached", "any")
CREDITS_FILTERS = tuple(Department.Credits.values)


def filter_queue(qs: QuerySet, *, user, product: int | None = None, status: str = "",
                 priority: int | None = None, assignee: str = "", due: str = "",
                 credits: str = "", organization: int | None = None) -> QuerySet:
    """The queue's filters, each on a column of the ticket table (a product becomes its
    few department ids). Values are validated by the caller (desk.views.QueueParams)."""
    if product:
        qs = ws.queue_by_product(qs, product)
    if status:
        qs = qs.filter(status=status)
    if priority is not None:
        qs = qs.filter(priority=priority)
    if assignee:
        qs = ws.queue_by_assignee(qs, assignee, user=user)
    if due:
        qs = _by_due(qs, due)
    if credits:
        qs = ws.queue_by_credits_rule(qs, credits)
    if organization:  # index tickets_queue_org_order
        qs = qs.filter(organization_id=organization)
    return qs


def _by_due(qs: QuerySet, due: str) -> QuerySet:
    """Breaching soon (past the risk mark, not yet due), breached, or any due time."""
    from django.utils import timezone

    now = timezone.now()
    if due == "soon":
        return qs.filter(sla_due_at__gt=now, sla_risk_at__lte=now)
    if due == "breached":
        return qs.filter(sla_due_at__lte=now)
    return qs.filter(sla_due_at__isnull=False)


def agent_choices() -> list[tuple[int, str]]:
    """The active agents as (pk, name), for the desk's lists: one query."""
    return [(u.pk, u.get_full_name() or u.email) for u in ws.agents()]


def department_label(department: Department) -> str:
    """How the desk names a department in its lists: "Product · Department"."""
    return f"{department.product.name} · {department.name}"


def department_choices() -> list[tuple[int, str]]:
    """Every department as (pk, label) in the catalogue's order: one query (a form's
    ModelChoiceField would count, then read through a cursor)."""
    return [(d.pk, department_label(d)) for d in Department.objects.select_related("product")]


def filter_choices(*, agents: list[tuple[int, str]] | None = None) -> dict:
    """The filter form's lists: products from the cached overview's departments (no
    query), the active agents (one query, unless the caller has read them: `agents`)."""
    products = {}
    for row in department_counts():
        product = row["department"].product
        products.setdefault(product.pk, product.name)
    return {"products": sorted(products.items(), key=lambda p: p[1]),
            "statuses": Ticket.Status.choices, "priorities": Ticket.Priority.choices,
            "credits": Department.Credits.choices,
            "agents": agent_choices() if agents is None else agents}


def search(qs: QuerySet, term: str) -> QuerySet:
    term = " ".join((term or "").split())[:200]
    if not term:
        return qs
    if number := numbers.number_parse(term):
        return Ticket.objects.filter(number=number)  # a number finds the ticket anywhere
    if prefix := numbers.number_prefix_parse(term):
        return Ticket.objects.filter(number__startswith=prefix)
    if "@" in term:
        return qs.filter(requester_id__in=ws.requester_ids_matching(term))
    return qs.filter(Q(subject__icontains=term)
                     | Q(organization_id__in=ws.organization_ids_matching(term)))


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    subject: str
    status: str
    priority: int
    assignee: str
    organization: str
    requester: str
    last_activity_at: object
    waiting_since: object
    sla_due_at: object = None
    sla_risk_at: object = None

    @property
    def status_label(self) -> str:
        return str(Ticket.Status(self.status).label)

    @property
    def priority_label(self) -> str:
        return str(Ticket.Priority(self.priority).label)

    @cached_property  # read four times by a row of the queue
    def due_state(self) -> str:
        """on_track / at_risk / breached, or "" without a due time (sla.clock)."""
        from django.utils import timezone

        from sla import clock

        return clock.state(self, now=timezone.now())

    @property
    def due_label(self) -> str:
        return str(DUE_LABELS.get(self.due_state, ""))


DUE_LABELS = {"on_track": _("On track"), "at_risk": _("At risk"), "breached": _("Breached")}


def queue_page(qs: QuerySet, *, page: int, per_page: int,
               by_due: bool = False) -> tuple[list[QueueRow], bool]:
    """One page (and whether another follows): one query of the ticket table, then the
    names shown by primary key (two queries), whatever the page size. `by_due`: soonest
    due first (the due-time filters; index tickets_sla_due)."""
    offset = (page - 1) * per_page
    order = ("sla_due_at", "id") if by_due else queue_order()
    raw = list(qs.order_by(*order).values_list(*QUEUE_FIELDS)[
        offset: offset + per_page + 1])
    more, raw = len(raw) > per_page, raw[:per_page]
    user_ids = {r[5] for r in raw if r[5]} | {r[8] for r in raw}
    users = ws.user_emails_and_names(ids=user_ids) if user_ids else {}
    orgs = ws.organization_names(ids={r[7] for r in raw}) if raw else {}
    rows = [QueueRow(id=r[0], number=r[1], subject=r[2], status=r[3], priority=r[4],
                     assignee=(users.get(r[5], ("", ""))[1] or users.get(r[5], ("", ""))[0])
                     if r[5] else "",
                     organization=orgs.get(r[7], ""),
                     requester=users.get(r[8], ("", ""))[1] or users.get(r[8], ("", ""))[0],
                     last_activity_at=r[9], waiting_since=r[10], sla_due_at=r[11],
                     sla_risk_at=r[12]) for r in raw]
    return rows, more


def capped_count(qs: QuerySet) -> tuple[int, bool]:
    n = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


def view_counts(*, user) -> dict[str, tuple[int, bool]]:
    """Mine, unassigned, waiting on customer, overdrawn: one capped count each."""
    return {view: capped_count(view_queryset(view=view, user=user))
            for view in ("mine", "unassigned", "waiting", "overdrawn")}


def department_counts() -> list[dict]:
    rows, _as_of = ws.queue_overview_cached()
    return [{"department": r["department"], "open": r["new"] + r["open"],
             "unassigned": r["unassigned"]} for r in rows]


# --- the ticket pane ---------------------------------------------------------------------

def ticket_history(*, ticket: Ticket, audience: str = history.AGENT) -> list:
    events = ws.ticket_events(ticket=ticket)
    if audience == history.CUSTOMER:
        events = [e for e in events if e.kind in customer_selectors.HISTORY_KINDS]
    return history.history_lines(events, names=history.names_for(events), audience=audience)


def other_open_tickets(*, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    return list(Ticket.objects.filter(requester_id=ticket.requester_id, status__in=OPEN,
                                      merged_into__isnull=True)
                .exclude(pk=ticket.pk).only("id", "number", "subject", "status")
                .order_by("-last_activity_at")[:limit])


def organization_records(*, ticket: Ticket) -> dict:
    """The organization's contracts (by deployment) and hardware warranties, with dates."""
    from entitlements.models import Deployment, HardwareItem, ModuleLicence

    org = ticket.organization_id
    return {
        "deployments": list(Deployment.objects.filter(organization_id=org)
                            .select_related("product").prefetch_related("contracts__plan")
                            .order_by("code")[:20]),
        "hardware": list(HardwareItem.objects.filter(organization_id=org)
                         .order_by("serial_number")[:20]),
        "modules": list(ModuleLicence.objects.filter(deployment__organization_id=org)
                        .select_related("deployment").order_by("module_name")[:20]),
    }


MAX_CHOICES = 200  # records offered per field (any of them is accepted)
RECORD_KINDS = {DepartmentField.Kind.DEPLOYMENT: "deployment",
                DepartmentField.Kind.HARDWARE: "hardware_item",
                DepartmentField.Kind.MODULE: "module_licence"}


@dataclass
class MoveField:
    name: str  # deployment / hardware_item / module_licence
    label: str
    required: bool
    choices: list  # (pk, label), the first MAX_CHOICES offered
    selected: int | None
    # every record that may be chosen (choices shows the first MAX_CHOICES)
    records: QuerySet | None = dataclasses.field(default=None, repr=False, compare=False)


def move_fields(*, ticket: Ticket, department: Department,
                selected: dict | None = None) -> list[MoveField]:
    """The department's record fields with the organization's own records to choose from."""
    selected = selected or {}
    result = []
    for field in department.fields.filter(kind__in=list(RECORD_KINDS)).order_by("position"):
        name = RECORD_KINDS[field.kind]
        records = customer_selectors.contact_records(contact=ticket.requester, kind=field.kind,
                                                     department=department)
        current = getattr(ticket, f"{name}_id")
        choices = [(r.pk, _record_label(r)) for r in records[:MAX_CHOICES]]
        pick = selected.get(name) or (current if current in {c[0] for c in choices} else None)
        result.append(MoveField(name=name, label=field.label, required=field.required,
                                choices=choices, selected=pick, records=records))
    return result


def _record_label(record) -> str:
    if hasattr(record, "module_name"):
        return f"{record.module_name} ({record.deployment.code})"
    if hasattr(record, "serial_number"):
        return record.serial_number
    return record.code


@dataclass
class MoveChoice:
    items: dict  # field name -> record
    rejected: list[str]  # the names whose value is not one of the department's records
    fields: list[MoveField]  # as chosen


def move_choice(*, ticket: Ticket, department: Department, data) -> MoveChoice:
    """The records named in a move (form data or API ids by field name) that the
    department asks and the requester's organization owns: any of them, not only the
    choices offered (capped at MAX_CHOICES). One move_fields call; the desk ignores the
    rejected names, the API answers them with a 400."""
    fields = move_fields(ticket=ticket, department=department)
    by_name = {f.name: f for f in fields}
    items, rejected = {}, []
    for name in RECORD_KINDS.values():
        value = data.get(name)
        if value in (None, ""):
            continue
        try:
            pk = int(value)
        except (TypeError, ValueError):
            pk = 0
        asked = by_name.get(name)
        record = asked.records.filter(pk=pk).first() if asked and 0 < pk < 2**63 else None
        if record is None:
            rejected.append(name)
            continue
        items[name] = record
        asked.selected = pk
    return MoveChoice(items=items, rejected=rejected, fields=fields)


def move_items(*, ticket: Ticket, department: Department, data) -> dict:
    """The records named in a move form that the organization owns (others ignored)."""
    return move_choice(ticket=ticket, department=department, data=data).items


@dataclass
class MovePreview:
    allowed: bool
    reasons: list[str]
    refund_minutes: int
    uses_credits: bool


def move_preview(*, ticket: Ticket, department: Department, items: dict) -> MovePreview:
    """The entitlement decision and the refund a move would bring, before saving."""
    from django.utils import translation

    from credits.selectors import ticket_minutes_consumed
    from entitlements import engine

    from .services import _items_for_department

    kept, _dropped = _items_for_department(ticket=ticket, department=department)
    decision = engine.evaluate(contact=ticket.requester, department=department,
                               billing_responsibility=ticket.billing_responsibility,
                               language=translation.get_language(), **{**kept, **items})
    refund = 0
    if ticket.department.uses_credits and not department.uses_credits:
        ids = [ticket.pk, *Ticket.objects.filter(merged_into=ticket).values_list("pk", flat=True)]
        refund = sum(ticket_minutes_consumed(ticket_id=pk) for pk in ids)
    return MovePreview(allowed=decision.allowed, reasons=[r.message for r in decision.reasons],
                       refund_minutes=max(refund, 0), uses_credits=department.uses_credits)


def _due_labels() -> tuple[dict, dict]:
    from django.utils.translation import gettext as _

    kinds = {"first_response": _("First response"), "next_response": _("Next response"),
             "resolution": _("Resolution")}
    states = {"on_track": _("On track"), "at_risk": _("At risk"), "breached": _("Breached"),
              "paused": _("Paused"), "met": _("Met"), "late": _("Answered late"),
              "not_due": _("Not running: we answered last")}
    return kinds, states


@dataclass(frozen=True)
class DueLine:
    kind: str
    label: str
    state: str
    state_label: str
    due_at: object = None
    done_at: object = None


@dataclass(frozen=True)
class TicketServiceLevel:
    policy_name: str  # "" when no policy applies (best effort)
    reason: str  # why this policy (sla.policy.Reason.LABELS), in the reader's language
    dues: list[DueLine]  # one per clock the policy sets a target for


def ticket_service_level(*, ticket: Ticket, now=None) -> TicketServiceLevel:
    """The ticket's policy, why it applies, and each due time with its state (two queries
    at most, three more for a business-hours calendar)."""
    from django.utils import timezone

    from sla import clock
    from sla import policy as sla_policy
    from sla.models import SlaPolicy

    target, schedule = sla_policy.clock_inputs(policy_id=ticket.sla_policy_id,
                                               priority=ticket.priority)
    if target is not None:
        name = target.policy.name
    elif ticket.sla_policy_id is not None:
        name = SlaPolicy.objects.filter(pk=ticket.sla_policy_id).values_list(
            "name", flat=True).first() or ""
    else:
        name = ""
    reason = sla_policy.Reason.LABELS.get(ticket.sla_reason or sla_policy.Reason.NO_POLICY, "")
    kinds, states = _due_labels()
    dues = [DueLine(d.kind, kinds[d.kind], d.state, states[d.state], d.due_at, d.done_at)
            for d in clock.due_times(ticket, target=target, schedule=schedule,
                                     now=now or timezone.now())]
    return TicketServiceLevel(policy_name=name, reason=str(reason), dues=dues)
