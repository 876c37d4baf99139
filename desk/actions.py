"""What agents do on the open ticket: one form submission = one service call.

A refused action keeps what the agent typed and shows the service's message in the
agent's language; a successful one answers with a redirect to the ticket (the queue's
view and search kept).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Department
from tickets import admin_views, desk_services, services
from tickets import desk_selectors as ds
from tickets.exceptions import REPLY_OVER_NEWER_MESSAGE, TicketsError
from tickets.models import Message

from . import views
from .forms import BulkForm, MergeForm, ReplyForm, UpdateForm

PERMS = {"reply": "tickets.add_message", "time": "tickets.add_timeentry",
         "reverse": "tickets.add_timeentry"}


def action(request, ticket_id: int, name: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler = HANDLERS.get(name)
    if handler is None:
        raise PermissionDenied
    if request.POST.get("action") != name:  # every desk form names its action
        return HttpResponseBadRequest(_("This form is incomplete: reload the page."))
    views.require(request)
    views.require(request, PERMS.get(name, "tickets.change_ticket"))
    ticket = views.get_ticket_for_action(ticket_id)
    try:
        forms = handler(request, ticket)
    except TicketsError as error:
        for text in error.messages:
            messages.error(request, text)
        forms = {}
    if forms is None:  # done: back to the ticket (a merge lands on the survivor)
        target = getattr(request, "desk_redirect", ticket.pk)
        return HttpResponseRedirect(views.desk_url("ticket", target,
                                                   query=request.GET.urlencode()))
    return views.page(request, ticket=views.get_ticket(ticket.pk), forms=forms, status=400)


def _reply(request, ticket):
    macros = desk_services.macros_available(department_id=ticket.department_id)
    form = ReplyForm(request.POST, request.FILES, macros=macros)
    if not form.is_valid():
        return {"reply": form}
    data = form.cleaned_data
    seen = data.get("seen_message") or 0
    newer = Message.objects.filter(ticket=ticket, kind=Message.Kind.CUSTOMER, pk__gt=seen)
    if not data["send_anyway"] and newer.exists():
        form.add_error(None, REPLY_OVER_NEWER_MESSAGE)
        return {"reply": form, "newer_message": True}
    try:
        if data["macro"] is not None:
            desk_services.macro_apply(ticket=ticket, actor=request.user, macro=data["macro"],
                                      body=data["body"], files=data["files"],
                                      internal=form.internal)
        else:
            services.agent_reply_create(ticket=ticket, agent=request.user, body=data["body"],
                                        files=data["files"], internal=form.internal)
    except TicketsError as error:
        form.add_error(None, error.messages)
        return {"reply": form}
    messages.success(request, _("Internal note added.") if form.internal
                     else _("Reply sent to the customer."))
    return None


def _update(request, ticket):
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return {"update": form}
    data = form.cleaned_data
    department: Department = data["department"]
    items = ds.move_items(ticket=ticket, department=department, data=request.POST) \
        if department.pk != ticket.department_id else None
    try:
        desk_services.ticket_update(
            ticket=ticket, actor=request.user, status=data["status"],
            priority=data["priority"], assignee=data["assignee"], department=department,
            items=items, reason=data["reason"])
    except TicketsError as error:
        form.add_error(None, error.messages)
        return {"update": form, "move_fields": ds.move_fields(
            ticket=ticket, department=department,
            selected={k: v.pk for k, v in (items or {}).items()})}
    messages.success(request, _("Ticket updated."))
    return None


def _time(request, ticket):
    return admin_views.time_log_action(request, ticket, form_key="time")


def _merge(request, ticket):
    form = MergeForm(request.POST)
    if not form.is_valid():
        return {"merge": form}
    try:
        target = desk_services.ticket_by_number_for_merge(ticket=ticket,
                                                          number=form.cleaned_data["number"])
        desk_services.ticket_merge(source=ticket, target=target, actor=request.user)
    except TicketsError as error:
        form.add_error("number", error.messages)
        return {"merge": form}
    messages.success(request, _("Merged into %(number)s.") % {"number": target.number})
    request.desk_redirect = target.pk
    return None


def _participant(request, ticket, *, add: bool):
    from tickets import participant_services, selectors
    from tickets.exceptions import PARTICIPANT_NOT_FOUND
    from tickets.models import TicketParticipant

    if add:
        contact = selectors.participant_candidate_posted(
            ticket=ticket, contact_id=request.POST.get("contact", ""),
            email=request.POST.get("email", ""))
    else:
        contact = selectors.participant_contacts(ticket=ticket).filter(
            pk=views._int(request.POST.get("contact")) or 0).first()
    if contact is None:
        raise TicketsError(PARTICIPANT_NOT_FOUND)
    change = (participant_services.ticket_participant_add if add
              else participant_services.ticket_participant_remove)
    change(ticket=ticket, contact=contact, actor=request.user,
           source=TicketParticipant.Source.AGENT)
    messages.success(request, _("Participant added.") if add else _("Participant removed."))
    return None


def _participant_add(request, ticket):
    return _participant(request, ticket, add=True)


def _participant_remove(request, ticket):
    return _participant(request, ticket, add=False)


def bulk(request):
    """The queue's bulk action: the selected tickets get the chosen assignee, status and
    priority in one service call (one transaction); back to the same queue."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    views.require(request, "tickets.change_ticket")
    from tickets.models import Ticket
    from tickets.workspace_selectors import agents

    form = BulkForm(request.POST, agent_choices=[(u.pk, u.get_full_name() or u.email)
                                                 for u in agents()])
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
    else:
        data = form.cleaned_data
        tickets = list(Ticket.objects.filter(pk__in=data["ticket"]).order_by("pk"))
        try:
            done = desk_services.tickets_bulk_update(
                tickets=tickets, actor=request.user, status=data["status"] or None,
                priority=data["priority"], assignee=_bulk_assignee(request, data["assignee"]))
        except TicketsError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, ngettext("%(count)s ticket updated.",
                                               "%(count)s tickets updated.", done)
                             % {"count": done})
    return HttpResponseRedirect(views.desk_url("queue", query=views.QueueParams.of(
        request).query()))


def _bulk_assignee(request, value: str):
    from django.contrib.auth import get_user_model

    if value == "me":
        return request.user
    if value == "none":
        return None
    if value:
        return get_user_model().objects.get(pk=int(value))  # one of the form's choices
    return desk_services.KEEP


HANDLERS = {"participant_add": _participant_add, "participant_remove": _participant_remove,
            "reply": _reply, "update": _update, "time": _time,
            "reverse": admin_views.time_reverse_action, "claim": admin_views.claim_action,
            "resolve": admin_views.resolve_action, "merge": _merge}
