"""The agent's ticket page and the queue's bulk actions (thin callers of the services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from . import admin_filters as filters
from . import desk_selectors, desk_services, participant_services, selectors, services
from . import workspace_selectors as ws
from .admin_forms import ReplyForm, TicketUpdateForm, TimeEntryForm, TimeReverseForm
from .downloads import attachment_response
from .exceptions import PARTICIPANT_NOT_FOUND, TicketsError
from .models import Attachment, Ticket, TicketParticipant, TimeEntry

AGENT_SOURCE = TicketParticipant.Source.AGENT

TICKET_RELATED = ("organization", "requester", "department__product", "assignee")
# Often empty: prefetched (no query when unset) rather than joined (planning a ten-table
# join costs more than the lookups).
TICKET_OPTIONAL = ("deployment", "hardware_item", "module_licence", "billing_responsibility",
                   "paying_organization")


def admin_url(name: str, *args, query: str = "") -> str:
    """The URL of an admin page, or "" when that admin is not installed."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


def ticket_page(model_admin, request, object_id: str):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ticket = get_object_or_404(Ticket.objects.select_related(*TICKET_RELATED)
                               .prefetch_related(*TICKET_OPTIONAL), pk=object_id)
    forms = None
    if request.method == "POST":
        forms = _post(model_admin, request, ticket)
        if forms is None:
            return HttpResponseRedirect(request.path)
    return TemplateResponse(request, "admin/tickets/ticket/workspace.html",
                            _context(model_admin, request, ticket, forms or {}))


def _post(model_admin, request, ticket: Ticket) -> dict | None:
    """Do what was posted. None on success (redirect), else the forms with their errors."""
    action = request.POST.get("action")
    handlers = {"reply": (_reply, "add_message"), "time": (time_log_action, "add_timeentry"),
                "reverse": (time_reverse_action, "add_timeentry"), "update": (_update, "change_ticket"),
                "claim": (claim_action, "change_ticket"),
                "resolve": (resolve_action, "change_ticket"),
                "participant_add": (_participant_add, "change_ticket"),
                "participant_remove": (_participant_remove, "change_ticket")}
    if action not in handlers:
        raise PermissionDenied
    handler, perm = handlers[action]
    if not request.user.has_perm(f"tickets.{perm}"):
        raise PermissionDenied
    try:
        return handler(request, ticket)
    except TicketsError as error:
        for text in error.messages:
            messages.error(request, text)
        return {}


def _reply(request, ticket):
    canned = ws.canned_replies_for(department_id=ticket.department_id)
    form = ReplyForm(request.POST, request.FILES, canned_replies=canned)
    if not form.is_valid():
        return {"reply_form": form}
    try:
        services.agent_reply_create(ticket=ticket, agent=request.user,
                                    body=form.cleaned_data["body"],
                                    files=form.cleaned_data["files"], internal=form.internal)
    except TicketsError as error:  # e.g. the file store failed: keep what the agent typed
        form.add_error(None, error.messages)
        return {"reply_form": form}
    messages.success(request, _("Internal note added.") if form.internal
                     else _("Reply sent to the customer."))
    return None


def time_log_action(request, ticket, *, form_key: str = "time_form"):
    """Log agent time (the workspace and the desk): a message, and a warning when the
    paying organization is overdrawn. An invalid form comes back under `form_key`."""
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return {form_key: form}
    entry = services.time_entry_create(ticket=ticket, agent=request.user,
                                       minutes=form.cleaned_data["minutes"],
                                       note=form.cleaned_data["note"])
    messages.success(request, _("%(minutes)s minutes logged.") % {"minutes": entry.minutes})
    if ticket.department.uses_credits:
        paying = ticket.paying_organization_id or ticket.organization_id
        balance = ws.credit_balance_minutes(organization_id=paying)
        if balance < 0:
            messages.warning(request, _("The organization's credits are overdrawn: "
                                        "%(balance)s minutes.") % {"balance": balance})
    return None


def time_reverse_action(request, ticket):
    form = TimeReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to reverse a time entry."))
        return {}
    entry = get_object_or_404(TimeEntry, pk=form.cleaned_data["entry"], ticket=ticket)
    services.time_entry_reverse(entry=entry, actor=request.user,
                                reason=form.cleaned_data["reason"])
    messages.success(request, _("Time entry reversed."))
    return None


def claim_action(request, ticket):
    services.ticket_assign(ticket=ticket, actor=request.user, assignee=request.user)
    messages.success(request, _("The ticket is assigned to you."))
    return None


def _posted_contact(request, contacts):
    try:
        contact = contacts.filter(pk=int(request.POST.get("contact", ""))).first()
    except ValueError:
        contact = None
    if contact is None:
        raise TicketsError(PARTICIPANT_NOT_FOUND)
    return contact


def _participant_change(request, ticket, *, add: bool):
    if add:
        contacts, change = (selectors.participant_candidates(ticket=ticket),
                            participant_services.ticket_participant_add)
    else:
        contacts, change = (selectors.participant_contacts(ticket=ticket),
                            participant_services.ticket_participant_remove)
    change(ticket=ticket, contact=_posted_contact(request, contacts), actor=request.user,
           source=AGENT_SOURCE)
    messages.success(request, _("Participant added.") if add else _("Participant removed."))
    return None


def _participant_add(request, ticket):
    return _participant_change(request, ticket, add=True)


def _participant_remove(request, ticket):
    return _participant_change(request, ticket, add=False)


def resolve_action(request, ticket):
    services.ticket_resolve(ticket=ticket, actor=request.user)
    messages.success(request, _("Ticket resolved."))
    return None


def _update(request, ticket):
    """Status, priority, assignee and department: one service call, all or nothing."""
    form = TicketUpdateForm(request.POST)
    if not form.is_valid():
        return {"update_form": form}
    data = form.cleaned_data
    desk_services.ticket_update(ticket=ticket, actor=request.user, status=data["status"],
                                priority=data["priority"], assignee=data["assignee"],
                                department=data["department"], reason=data["reason"])
    messages.success(request, _("Ticket updated."))
    return None


def _context(model_admin, request, ticket: Ticket, forms: dict) -> dict:
    time_entries = ws.ticket_time_entries(ticket=ticket)
    entitlements = ws.ticket_entitlements(ticket=ticket, time_entries=time_entries)
    canned = ws.canned_replies_for(department_id=ticket.department_id)
    update_form = forms.get("update_form") or TicketUpdateForm(
        initial={"status": ticket.status, "priority": ticket.priority,
                 "assignee": ticket.assignee_id, "department": ticket.department_id},
        agent_choices=filters.agent_names(),
        department_choices=[(pk, f"{product} · {name}")
                            for pk, (product, name) in filters.department_names().items()])
    user = request.user
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Ticket._meta, "title": str(ticket), "ticket": ticket,
        "conversation": ws.ticket_conversation(ticket=ticket),
        "field_values": ws.ticket_field_values(ticket=ticket),
        "history": desk_selectors.ticket_history(ticket=ticket),
        "service_level": desk_selectors.ticket_service_level(ticket=ticket),
        "desk_url": admin_url("admin:desk_ticket", ticket.pk),
        "time_entries": time_entries, "ent": entitlements, "canned_replies": canned,
        "reply_form": forms.get("reply_form") or ReplyForm(canned_replies=canned),
        "time_form": forms.get("time_form") or TimeEntryForm(),
        "update_form": update_form,
        "participants": selectors.participants_of(ticket=ticket),
        "participant_candidates": selectors.participant_candidates(ticket=ticket),
        "can_reply": user.has_perm("tickets.add_message"),
        "can_log_time": user.has_perm("tickets.add_timeentry"),
        "can_change": user.has_perm("tickets.change_ticket"),
        "ledger_url": _ledger_url(model_admin, ticket, entitlements.paying_organization_id),
        "organization_url": admin_url("admin:accounts_organization_change",
                                      ticket.organization_id),
        "inbound_url_name": "admin:mailgateway_inboundmessage_change",
        "has_inbound_admin": bool(admin_url("admin:mailgateway_inboundmessage_changelist")),
        "queue_url": admin_url("admin:tickets_ticket_changelist",
                               query=f"department={ticket.department_id}"),
    }


def original_email(model_admin, request, ticket_id: int, message_id: int):
    """The stored original of an emailed message, shown as escaped plain text."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    raw = ws.message_original_email(ticket_id=ticket_id, message_id=message_id)
    if raw is None:
        raise Http404
    message, text = raw
    return TemplateResponse(request, "admin/tickets/ticket/original_email.html", {
        **model_admin.admin_site.each_context(request), "opts": Ticket._meta,
        "title": _("Original email"), "message": message, "raw_text": text,
        "ticket_url": admin_url("admin:tickets_ticket_change", ticket_id),
    })


def attachment_download(model_admin, request, ticket_id: int, attachment_id: int):
    """Any attachment of the ticket (internal notes' too), as a download, for staff who
    may view tickets."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket_id=ticket_id).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


def _ledger_url(model_admin, ticket: Ticket, organization_id: int) -> str:
    """The paying organization's ledger in the credits admin, when it is installed."""
    from django.apps import apps

    from accounts.admin import organization_changelist_url

    try:
        ledger = apps.get_model("credits", "LedgerEntry")
    except LookupError:
        return ""
    organization = (ticket.paying_organization if ticket.paying_organization_id == organization_id
                    else ticket.organization)
    return organization_changelist_url(model_admin.admin_site, ledger, organization,
                                       "account__organization")


# --- bulk actions with an intermediate page -----------------------------------------------

MAX_BULK_TICKETS = 500


def bulk_guard(model_admin, request, queryset) -> list[Ticket] | None:
    tickets = list(queryset.select_related("department")[:MAX_BULK_TICKETS + 1])
    if len(tickets) > MAX_BULK_TICKETS:
        model_admin.message_user(
            request, _("Select at most %(limit)s tickets at once.") % {"limit": MAX_BULK_TICKETS},
            messages.ERROR)
        return None
    return tickets


def bulk_apply(model_admin, request, tickets, action, done_message: str) -> None:
    done, failed = 0, []
    for ticket in tickets:
        try:
            action(ticket)
            done += 1
        except TicketsError as error:
            failed.append(f"{ticket.number}: {' '.join(error.messages)}")
    if done:
        model_admin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    for text in failed:
        model_admin.message_user(request, text, messages.ERROR)


def bulk_form_page(model_admin, request, queryset, *, form, action_name: str, title: str):
    """The intermediate page of an action that needs a choice (agent, status, department)."""
    return TemplateResponse(request, "admin/tickets/ticket/bulk_action.html", {
        **model_admin.admin_site.each_context(request),
        "opts": Ticket._meta, "title": title, "form": form, "action_name": action_name,
        "tickets": queryset, "selected": request.POST.getlist("_selected_action"),
        "select_across": request.POST.get("select_across", "0"),
    })
