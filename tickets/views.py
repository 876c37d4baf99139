"""Customer pages: submit wizard, my tickets, resolved tickets, ticket page, downloads.

Views are thin: reads through selectors, changes through services, decisions from the
entitlement engine. Every ticket URL answers 404 to whoever may not see the ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from credits import selectors as credit_selectors
from entitlements import engine

from . import (
    access,
    attachments,
    customer_selectors,
    participant_services,
    satisfaction,
    selectors,
    services,
)
from . import exceptions as exc
from .downloads import attachment_response
from .forms import (
    FILES_AGAIN,
    ReplyForm,
    TicketSearchForm,
    TicketSubmitForm,
    prefilled_from_query,
)
from .history import ticket_timeline
from .models import Ticket

TICKETS_PER_PAGE = 20
NO_CONTACT_CHOSEN = gettext_lazy("Choose a colleague to add.")
PARTICIPANT_ADDED = gettext_lazy("%(name)s now follows this ticket.")
PARTICIPANT_REMOVED = gettext_lazy("%(name)s no longer follows this ticket.")
SCOPES = ("mine", "all")
STAFF_TO_DESK = gettext_lazy("This is the customer site; as staff you work tickets in the "
                             "agent desk.")


def _limits() -> dict:
    return {"max_file_mb": settings.ATTACHMENT_MAX_FILE_BYTES // 2**20,
            "max_ticket_mb": settings.ATTACHMENT_MAX_TICKET_BYTES // 2**20}


def _staff_to_desk(request):
    """Staff (no customer organization) who open the customer site go to the agent desk."""
    user = request.user
    if user.organization_id is None and user.is_staff:
        messages.info(request, STAFF_TO_DESK)
        return redirect("admin:index")
    return None


def _ticket_list(request, *, resolved: bool):
    user = request.user
    if (to_desk := _staff_to_desk(request)) is not None:
        return to_desk
    scope = request.GET.get("scope", "all" if user.is_org_admin else "mine")
    scope = scope if user.is_org_admin and scope in SCOPES else "mine"
    tickets = (selectors.tickets_of(user=user) if scope == "mine"
               else selectors.tickets_visible_to(user=user))
    tickets = (tickets.filter(status=Ticket.Status.RESOLVED) if resolved
               else tickets.filter(status__in=Ticket.OPEN_STATUSES))
    search = TicketSearchForm(request.GET or None, resolved=resolved)
    if search.is_valid():
        tickets = customer_selectors.tickets_filtered(tickets, **search.filters())
    tickets = tickets.select_related("department__product", "requester")
    page = Paginator(tickets.order_by("-last_activity_at", "-id"), TICKETS_PER_PAGE)
    return render(request, "tickets/ticket_list.html", {
        "page": page.get_page(request.GET.get("page")), "scope": scope, "resolved": resolved,
        "search": search, "query": search.query_string(scope=scope),
    })


@require_GET
@login_required
def my_tickets(request):
    return _ticket_list(request, resolved=False)


@require_GET
@login_required
def resolved_tickets(request):
    return _ticket_list(request, resolved=True)


@require_GET
@login_required
def submit_choose_department(request):
    if (to_desk := _staff_to_desk(request)) is not None:
        return to_desk
    if request.user.organization_id is None:
        raise Http404
    return render(request, "tickets/submit_department.html", {
        "groups": customer_selectors.department_catalogue(contact=request.user)})


def _balance_minutes(*, decision: engine.Decision, contact) -> int | None:
    if not decision.uses_credits:
        return None
    return credit_selectors.credit_balance_minutes(
        organization_id=decision.paying_organization_id or contact.organization_id)


@login_required
def submit_details(request, code: str):
    contact = request.user
    if contact.organization_id is None:
        raise Http404
    department = customer_selectors.department_get_for_submit(code=code)
    decision = engine.evaluate(contact=contact, department=department)
    items = (engine.evaluate_items(contact=contact, department=department, decision=decision)
             if decision.pending_items else [])
    context = {"department": department, "decision": decision, "items": items,
               "balance_minutes": _balance_minutes(decision=decision, contact=contact),
               "limits": _limits()}
    if not decision.allowed:
        return render(request, "tickets/submit_unavailable.html", context)
    refused: dict[str, set] = {}
    for item in items:
        if not item.decision.allowed:
            refused.setdefault(item.kind, set()).add(item.record.pk)
    form = TicketSubmitForm(request.POST or None, request.FILES or None, contact=contact,
                            department=department, refused=refused,
                            initial=prefilled_from_query(request.GET))
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(requester=contact, department=department,
                                            **form.service_kwargs())
        except exc.DepartmentUnavailable as error:
            context["refusal"] = error.decision
            form.add_error(None, error.messages)
        except exc.TicketsError as error:
            form.add_error(None, error.messages)
        else:
            return redirect("tickets:submitted", number=ticket.number)
    if form.is_bound and form.errors:
        context["files_again"] = FILES_AGAIN
    return render(request, "tickets/submit_details.html", {**context, "form": form})


@require_GET
@login_required
def submitted(request, number: str):
    ticket = selectors.ticket_get_for_contact(user=request.user, number=number)
    return render(request, "tickets/submitted.html", {"ticket": ticket})


def _ticket_page(request, ticket: Ticket, reply_form: ReplyForm, status: int = 200):
    return render(request, "tickets/ticket_detail.html", {
        "ticket": ticket,
        "conversation": selectors.ticket_messages_for_contact(ticket=ticket),
        "field_values": ticket.field_values.filter(field__department_id=ticket.department_id)
        .select_related("field"),
        "timeline": ticket_timeline(
            events=customer_selectors.ticket_events_for_contact(ticket=ticket)),
        "minutes_consumed": credit_selectors.ticket_minutes_consumed(ticket_id=ticket.pk),
        "reply_form": reply_form, "limits": _limits(),
        "participants": selectors.participants_of(ticket=ticket),
        **_participant_choices(request, ticket),
        "files_again": FILES_AGAIN if reply_form.is_bound and reply_form.errors else "",
        "reply_aim": customer_selectors.reply_aim_text(ticket=ticket),
        "survey": (survey := satisfaction.latest_survey(ticket=ticket)),
        "satisfaction_links": satisfaction.links_for(survey=survey),
    }, status=status)


@require_GET
@login_required
def ticket_detail(request, number: str):
    ticket = selectors.ticket_get_for_contact(user=request.user, number=number)
    return _ticket_page(request, ticket, ReplyForm())


@require_POST
@login_required
def ticket_reply(request, number: str):
    ticket = selectors.ticket_get_for_contact(user=request.user, number=number,
                                               write=True, for_page=False)
    form = ReplyForm(request.POST, request.FILES,
                     existing_bytes=lambda: attachments.ticket_attachment_bytes(ticket=ticket))
    if form.is_valid():
        was_resolved = ticket.is_resolved
        try:
            services.ticket_reply_create(ticket=ticket, author=request.user,
                                         body=form.cleaned_data["message"],
                                         files=form.cleaned_data["attachments"])
        except exc.TicketsError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Your reply was sent.") if not was_resolved
                             else _("Your reply was sent and the ticket was reopened."))
            return redirect("tickets:detail", number=ticket.number)
    return _ticket_page(request, ticket, form, status=400)


@require_POST
@login_required
def ticket_resolve(request, number: str):
    ticket = selectors.ticket_get_for_contact(user=request.user, number=number,
                                               write=True)
    try:
        services.ticket_resolve(ticket=ticket, actor=request.user)
    except exc.TicketsError as error:
        for text in error.messages:
            messages.info(request, text)
    else:
        messages.success(request, _("The ticket is marked resolved. Reply any time to reopen it."))
    return redirect("tickets:detail", number=ticket.number)


@require_GET
@login_required
def attachment_download(request, number: str, attachment_id: int):
    attachment = selectors.attachment_get_for_contact(user=request.user, number=number,
                                                      attachment_id=attachment_id)
    return attachment_response(attachment)




def _participant_choices(request, ticket) -> dict:
    """`participant_candidates`: None when the contact may not change who follows the
    ticket, else the list ([] with `participant_by_email` when too many to list)."""
    if not access.ticket_may_change_participants(user=request.user, ticket=ticket):
        return {"participant_candidates": None, "participant_by_email": False}
    choices = selectors.participant_choices(ticket=ticket)
    return {"participant_candidates": choices or [], "participant_by_email": choices is None}


def _posted_contact(request, contacts):
    try:
        return contacts.filter(pk=int(request.POST.get("contact", ""))).first()
    except ValueError:
        return None


def _participant_change(request, number: str, *, add: bool):
    ticket = selectors.ticket_get_for_contact(user=request.user, number=number, write=True)
    if add:
        contact = selectors.participant_candidate_posted(
            ticket=ticket, contact_id=request.POST.get("contact", ""),
            email=request.POST.get("email", ""))
        change, done = participant_services.ticket_participant_add, PARTICIPANT_ADDED
    else:
        contact = _posted_contact(request, selectors.participant_contacts(ticket=ticket))
        change, done = participant_services.ticket_participant_remove, PARTICIPANT_REMOVED
    if contact is None:
        messages.error(request, exc.PARTICIPANT_NOT_FOUND if not add else NO_CONTACT_CHOSEN)
        return redirect("tickets:detail", number=ticket.number)
    try:
        change(ticket=ticket, contact=contact, actor=request.user,
               source=participant_services.Source.SITE)
    except exc.TicketsError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, done % {"name": contact.get_full_name()})
    return redirect("tickets:detail", number=ticket.number)


@require_POST
@login_required
def participant_add(request, number: str):
    """The requester adds a colleague, who then follows the ticket (sees it on the site,
    may write to it, gets its emails)."""
    return _participant_change(request, number, add=True)


@require_POST
@login_required
def participant_remove(request, number: str):
    return _participant_change(request, number, add=False)
