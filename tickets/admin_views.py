"""Handlers of the agent's ticket actions that the desk (desk.actions) calls, and the
original-email and attachment views served under the ticket admin's URLs. Thin callers of
the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from . import services
from . import workspace_selectors as ws
from .admin_forms import TimeEntryForm, TimeReverseForm
from .downloads import attachment_response
from .models import Attachment, Ticket, TimeEntry


def admin_url(name: str, *args, query: str = "") -> str:
    """The URL of an admin page, or "" when that admin is not installed."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


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


def resolve_action(request, ticket):
    services.ticket_resolve(ticket=ticket, actor=request.user)
    messages.success(request, _("Ticket resolved."))
    return None


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
        "ticket_url": admin_url("admin:desk_ticket", ticket_id),
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
