"""The desk's pages: the queue (views with counts) and the open ticket beside it.

Every query parameter is validated: a value that is not one of the expected ones is
ignored (the default applies), never a 500. The ticket pane, the counts and the live
notices are also served alone for htmx (the page asks for them and swaps them in).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tickets import desk_selectors as ds
from tickets import desk_services, history, selectors
from tickets import workspace_selectors as ws
from tickets.admin_forms import TimeEntryForm, TimeReverseForm
from tickets.models import Message, Ticket

from . import presence
from .forms import MergeForm, ReplyForm, UpdateForm

PER_PAGE = 50
CONVERSATION_SHOWN = 30  # newest messages on a ticket's page; the older ones on demand
MAX_PAGE = 1000
# not merged_into: joining the ticket table to itself doubles the planning time of the
# page's first query (1 ms); a merged ticket (rare) reads its survivor when shown
TICKET_RELATED = ("organization", "requester", "department__product", "assignee")
TICKET_OPTIONAL = ("deployment", "hardware_item", "module_licence", "billing_responsibility",
                   "paying_organization")


def require(request, perm: str = "tickets.view_ticket") -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _int(value, *, low: int = 1, high: int = 2**31 - 1) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@dataclass(frozen=True)
class QueueParams:
    """The queue's view, filters, search and page, each validated (a value that is not
    one of the expected ones is dropped)."""

    view: str
    department: int | None
    q: str
    page: int
    product: int | None = None
    status: str = ""
    priority: int | None = None
    assignee: str = ""  # "me", "none" or an agent's id
    due: str = ""  # ds.DUE_FILTERS
    credits: str = ""  # paid or free departments (catalog Department.Credits)
    organization: int | None = None  # one customer's tickets (from the ticket's context)

    @classmethod
    def of(cls, request) -> QueueParams:
        get = request.GET
        view = get.get("view", "")
        view = view if view in ds.VIEWS else "unassigned"
        department = _int(get.get("department"))
        if view == "department" and department is None:
            view = "unassigned"
        assignee = get.get("assignee", "")
        if assignee not in ("me", "none"):
            assignee = str(_int(assignee) or "")
        priority = _int(get.get("priority"))
        return cls(view=view, department=department if view == "department" else None,
                   q=" ".join(get.get("q", "").split())[:200],
                   page=_int(get.get("p"), high=MAX_PAGE) or 1,
                   product=_int(get.get("product")),
                   status=get.get("status", "") if get.get("status") in Ticket.Status.values
                   else "",
                   priority=priority if priority in Ticket.Priority.values else None,
                   assignee=assignee, due=get.get("due", "") if get.get("due") in ds.DUE_FILTERS
                   else "", credits=get.get("credits", "") if get.get("credits") in
                   ds.CREDITS_FILTERS else "", organization=_int(get.get("organization")))

    def filters(self) -> dict:
        return {"product": self.product, "status": self.status, "priority": self.priority,
                "assignee": self.assignee, "due": self.due, "credits": self.credits,
                "organization": self.organization}

    @property
    def filtered(self) -> bool:
        return any(self.filters().values())

    def query(self, **changes) -> str:
        values = {"view": self.view, "department": self.department, "q": self.q,
                  **self.filters(), "p": self.page if self.page > 1 else None, **changes}
        return urlencode({k: v for k, v in values.items() if v})


QUARANTINE_PARAMS = QueueParams(view="quarantine", department=None, q="", page=1)


def _queue(request, params: QueueParams, *, agents: list | None = None) -> dict:
    qs = ds.view_queryset(view=params.view, user=request.user,
                          department_id=params.department, status=params.status)
    qs = ds.search(ds.filter_queue(qs, user=request.user, **params.filters()), params.q)
    rows, more = ds.queue_page(qs, page=params.page, per_page=PER_PAGE, by_due=bool(params.due))
    return {"rows": rows, "has_more": more, "params": params,
            "filter_choices": ds.filter_choices(agents=agents),
            "organization_name": _organization_name(params.organization),
            "can_bulk": request.user.has_perm("tickets.change_ticket"),
            "next_query": params.query(p=params.page + 1) if more else "",
            "prev_query": params.query(p=params.page - 1) if params.page > 1 else ""}


def with_labels(messages: list[Message]) -> list[Message]:
    """Each message's kind and source label, translated once per page (the model's
    get_FOO_display rebuilds and hashes the lazy choices on every call: 0.09 ms a label)."""
    kinds = {value: str(label) for value, label in Message.Kind.choices}
    sources = {value: str(label) for value, label in Message.Source.choices}
    for message in messages:
        message.kind_label = kinds.get(message.kind, message.kind)
        message.source_label = sources.get(message.source, message.source)
    return messages


def _organization_name(organization_id: int | None) -> str:
    if not organization_id:
        return ""
    return ws.organization_names(ids={organization_id}).get(organization_id, "")


def counts_context(request, *, deferred: bool = False) -> dict:
    """The views' counts; `deferred`: only the links (the page asks for the counts as soon
    as it is shown, and every 30 s: the queue and the ticket answer without counting)."""
    from mailgateway.models import InboundMessage

    can_quarantine = request.user.has_perm("mailgateway.change_inboundmessage")
    if deferred:
        return {"counts_deferred": True, "can_quarantine": can_quarantine,
                "departments": ds.department_counts()}
    counts = ds.view_counts(user=request.user)
    quarantine = ds.capped_count(InboundMessage.objects.filter(
        status=InboundMessage.Status.QUARANTINED))
    return {"counts": counts, "quarantine_count": quarantine,
            "departments": ds.department_counts(), "can_quarantine": can_quarantine}


def desk_url(name: str, *args, query: str = "") -> str:
    url = reverse(f"admin:desk_{name}", args=args)
    return f"{url}?{query}" if query else url


ROWS_TARGET = "desk-queue-rows"  # the queue's rows, asked for alone by a ticket's full page


def queue(request):
    require(request)
    if getattr(request, "htmx", False) and request.htmx.target == ROWS_TARGET:
        params = QueueParams.of(request)
        return TemplateResponse(request, "desk/_queue.html", {
            **_queue(request, params), "queue_query": params.query()})
    return page(request, ticket=None)


def ticket_view(request, ticket_id: int):
    require(request)
    ticket = get_ticket(ticket_id)
    return page(request, ticket=ticket)


def get_ticket(ticket_id) -> Ticket:
    return get_object_or_404(Ticket.objects.select_related(*TICKET_RELATED)
                             .prefetch_related(*TICKET_OPTIONAL), pk=ticket_id)


def get_ticket_for_action(ticket_id) -> Ticket:
    """The ticket an action's handler starts from: no page joins or prefetches (the
    services lock and read what they change; a form shown again reads the page's)."""
    return get_object_or_404(Ticket.objects.select_related("department", "organization"),
                             pk=ticket_id)


def admin_chrome(request) -> dict:
    """What the admin's base template needs around the desk (site header, user tools),
    from the admin site's public attributes. Not `each_context`: that builds the whole
    app list for the navigation sidebar on every call (3.6 ms a page), and the desk shows
    no sidebar (its own views and counts are its navigation)."""
    from django.contrib import admin

    site = admin.site
    script_name = request.META.get("SCRIPT_NAME", "")
    return {"site_title": site.site_title, "site_header": site.site_header,
            "site_url": script_name if site.site_url == "/" and script_name else site.site_url,
            "has_permission": site.has_permission(request), "available_apps": [],
            "is_popup": False, "is_nav_sidebar_enabled": False}


def page(request, *, ticket: Ticket | None, forms: dict | None = None, status: int = 200):
    params = QueueParams.of(request)
    # htmx asking for the ticket pane alone: the queue beside it is neither read nor shown
    pane = (ticket is not None and getattr(request, "htmx", False)
            and request.htmx.target == "desk-ticket")
    agents = ds.agent_choices()  # the filters' and the ticket's assignee lists: read once
    if pane:
        queue_context = {}
    elif ticket is not None:
        # a ticket's full page: the rows beside it come in their own request (htmx, as the
        # page loads: ROWS_TARGET), so the ticket is read and drawn without 50 rows
        queue_context = {"params": params, "queue_deferred": True,
                         "filter_choices": ds.filter_choices(agents=agents),
                         "organization_name": _organization_name(params.organization)}
    else:
        queue_context = _queue(request, params, agents=agents)
    context = {**admin_chrome(request), "title": _("Agent desk"), **queue_context,
               **counts_context(request, deferred=True),
               "ticket": ticket, "params": params, "queue_query": params.query()}
    if ticket is not None:
        context.update(ticket_context(request, ticket, forms or {}, agents=agents))
        context["title"] = f"{ticket.number} · {ticket.subject}"
    template = "desk/page.html"
    if pane:
        template, context["partial"] = "desk/_ticket.html", True  # the pane shows messages
    return TemplateResponse(request, template, context, status=status)


def ticket_context(request, ticket: Ticket, forms: dict, *, agents: list) -> dict:
    conversation, earlier = ws.ticket_conversation_window(ticket=ticket,
                                                          limit=CONVERSATION_SHOWN)
    time_entries = ws.ticket_time_entries(ticket=ticket)
    ent = ws.ticket_entitlements(ticket=ticket, time_entries=time_entries)
    macros = desk_services.macros_for(department_id=ticket.department_id)
    canned = ws.canned_replies_for(department_id=ticket.department_id)
    # what the agent has seen: the newest customer message shown (any older one is older
    # than every message on the page)
    last_customer = max((m.pk for m in conversation if m.kind == Message.Kind.CUSTOMER),
                        default=conversation[-1].pk if conversation else 0)
    user = request.user
    return {
        "conversation": with_labels(conversation), "earlier_messages": earlier,
        "earlier_before": conversation[0].pk if conversation else 0,
        "time_entries": time_entries, "ent": ent,
        "history": ds.ticket_history(ticket=ticket, audience=history.AGENT),
        "service_level": ds.ticket_service_level(ticket=ticket),
        "field_values": ws.ticket_field_values(ticket=ticket),
        "macros": macros, "canned_replies": canned,
        "reply_form": forms.get("reply") or ReplyForm(
            macros=macros, initial={"seen_message": last_customer}),
        "newer_message": forms.get("newer_message", False),
        "update_form": forms.get("update") or UpdateForm(initial={
            "status": ticket.status, "priority": ticket.priority,
            "assignee": ticket.assignee_id, "department": ticket.department_id}),
        "agent_choices": agents, "department_choices": ds.department_choices(),
        "move_fields": forms.get("move_fields") or ds.move_fields(
            ticket=ticket, department=ticket.department),
        "time_form": forms.get("time") or TimeEntryForm(),
        "reverse_form": TimeReverseForm(), "merge_form": forms.get("merge") or MergeForm(),
        "other_tickets": ds.other_open_tickets(ticket=ticket),
        "participants": selectors.participants_of(ticket=ticket),
        "participant_candidates": (choices := selectors.participant_choices(ticket=ticket)),
        "participant_by_email": choices is None,
        "records": ds.organization_records(ticket=ticket),
        "last_message_id": max((m.pk for m in conversation), default=0),
        "viewers": presence.others(ticket_id=ticket.pk, user=user),
        "can_reply": user.has_perm("tickets.add_message"),
        "can_log_time": user.has_perm("tickets.add_timeentry"),
        "can_change": user.has_perm("tickets.change_ticket"),
    }


def counts(request):
    require(request)
    params = (QUARANTINE_PARAMS if request.GET.get("view") == "quarantine"
              else QueueParams.of(request))
    return TemplateResponse(request, "desk/_counts.html", {
        **counts_context(request), "params": params})


def live(request, ticket_id: int):
    """Polled by the open ticket: who else has it open (or is typing), and the messages
    that arrived since (appended to the conversation: no reload). Fixed queries."""
    require(request)
    ticket = get_object_or_404(Ticket.objects.only("id"), pk=ticket_id)
    presence.touch(ticket_id=ticket.pk, user=request.user,
                   typing=request.GET.get("typing") == "1")
    after = _int(request.GET.get("after"), low=0) or 0
    new = [m for m in ws.ticket_conversation_after(ticket=ticket, after_id=after)
           if m.author_id != request.user.pk]
    customer = [m.pk for m in new if m.kind == Message.Kind.CUSTOMER]
    return TemplateResponse(request, "desk/_live.html", {
        "ticket": ticket, "viewers": presence.others(ticket_id=ticket.pk, user=request.user),
        "new_messages": with_labels(new), "new_customer": bool(customer),
        "new_customer_id": max(customer, default=None), "polled": True,
        "after": max([after, *(m.pk for m in new)])})


def earlier(request, ticket_id: int):
    """The CONVERSATION_SHOWN messages before `before` (the "earlier messages" link of a
    long ticket), with the link for the ones before them. Fixed queries."""
    require(request)
    ticket = get_object_or_404(Ticket.objects.only("id"), pk=ticket_id)
    before = _int(request.GET.get("before")) or 0
    conversation, more = ws.ticket_conversation_window(ticket=ticket, before_id=before,
                                                       limit=CONVERSATION_SHOWN)
    return TemplateResponse(request, "desk/_earlier.html", {
        "ticket": ticket, "conversation": with_labels(conversation), "earlier_messages": more,
        "earlier_before": conversation[0].pk if conversation else 0})


def move_preview(request, ticket_id: int):
    """The chosen department's record fields and the entitlement decision, before saving."""
    require(request, "tickets.change_ticket")
    from catalog.models import Department

    ticket = get_ticket(ticket_id)
    department = Department.objects.filter(pk=_int(request.GET.get("department")) or 0).first()
    if department is None or department.pk == ticket.department_id:
        return TemplateResponse(request, "desk/_move.html", {"ticket": ticket})
    items = ds.move_items(ticket=ticket, department=department, data=request.GET)
    fields = ds.move_fields(ticket=ticket, department=department,
                            selected={k: v.pk for k, v in items.items()})
    template = "desk/_move.html"
    if getattr(request, "htmx", False) and request.htmx.target == "desk-decision-box":
        template = "desk/_decision.html"  # a record was chosen: the fields stay (and the focus)
    return TemplateResponse(request, template, {
        "ticket": ticket, "department": department, "move_fields": fields,
        "preview": ds.move_preview(ticket=ticket, department=department, items=items)})


def email_preview(request, ticket_id: int):
    """The agent reply as the customer will get it (nothing is recorded)."""
    require(request, "tickets.add_message")
    from mailgateway.outbound import agent_reply_preview

    ticket = get_ticket(ticket_id)
    body = request.POST.get("body", "")[:20000] if request.method == "POST" else ""
    macro_id = _int(request.POST.get("macro")) if request.method == "POST" else None
    if not body.strip() and macro_id:
        macro = next((m for m in desk_services.macros_for(department_id=ticket.department_id)
                      if m.pk == macro_id), None)
        body = macro.body if macro else ""
    return TemplateResponse(request, "desk/_preview.html", {
        "email": agent_reply_preview(ticket=ticket, body=body)})
