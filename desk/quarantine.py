"""The quarantine as a queue of the desk: release a message onto a ticket (the number
typed with or without "[#…]"), open a ticket for a known contact, or discard it with a
reason. Each action is one mail gateway service call, which records who did it (the
message's reason) and, on a ticket, the message and its audit event."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from mailgateway import services
from mailgateway.exceptions import MailGatewayError
from mailgateway.inbound import parse, reasons
from mailgateway.models import InboundMessage
from tickets import numbers
from tickets.exceptions import TicketsError
from tickets.models import Ticket

from . import views
from .forms import QuarantineAttachForm, QuarantineDiscardForm, QuarantineOpenForm

PERM = "mailgateway.change_inboundmessage"
PER_PAGE = 50
NO_TICKET = _("There is no ticket with this number.")
NOT_A_CONTACT = _("There is no customer contact with this email.")


def _quarantined():
    return InboundMessage.objects.filter(status=InboundMessage.Status.QUARANTINED)


def quarantine_list(request, message_id: int | None = None, *, forms=None, status=200):
    views.require(request, PERM)
    page = views._int(request.GET.get("p"), high=views.MAX_PAGE) or 1
    offset = (page - 1) * PER_PAGE
    rows = list(_quarantined().order_by("-received_at", "-id")
                .only("id", "from_address", "subject", "received_at", "reason")
                [offset: offset + PER_PAGE + 1])
    selected = None
    if message_id is not None:
        selected = get_object_or_404(_quarantined(), pk=message_id)
    forms = forms or {}
    context = {
        **views.admin_chrome(request), **views.counts_context(request, deferred=True),
        "title": _("Quarantine"), "rows": [(r, reasons.label(r.reason)) for r in
                                            rows[:PER_PAGE]],
        "has_more": len(rows) > PER_PAGE, "page": page, "selected": selected,
        "params": views.QUARANTINE_PARAMS,
        "attach_form": forms.get("attach") or QuarantineAttachForm(),
        "open_form": forms.get("open") or QuarantineOpenForm(
            initial={"requester_email": selected.from_address if selected else ""}),
        "discard_form": forms.get("discard") or QuarantineDiscardForm(),
    }
    if selected is not None:
        context["reason_label"] = reasons.label(selected.reason)
        context["text"] = (services.reply_body(parse.parse_message(bytes(selected.raw)))
                           if not selected.raw_reduced_at else "")
    return TemplateResponse(request, "desk/quarantine.html", context, status=status)


def quarantine_detail(request, message_id: int):
    return quarantine_list(request, message_id)


def quarantine_action(request, message_id: int, name: str):
    views.require(request, PERM)
    if request.method != "POST" or name not in ("attach", "open", "discard"):
        return quarantine_list(request, message_id, status=405 if name in (
            "attach", "open", "discard") else 404)
    get_object_or_404(InboundMessage, pk=message_id)
    form, target = _run(request, message_id, name)
    if form is not None:
        return quarantine_list(request, message_id, forms={name: form}, status=400)
    if target is not None:
        return HttpResponseRedirect(views.desk_url("ticket", target))
    return HttpResponseRedirect(views.desk_url("quarantine"))


def _run(request, message_id: int, name: str):
    """(the form to show again, or None; the ticket to go to, or None)."""
    form_class = {"attach": QuarantineAttachForm, "open": QuarantineOpenForm,
                  "discard": QuarantineDiscardForm}[name]
    form = form_class(request.POST)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        if name == "attach":
            number = numbers.number_parse(data["ticket_number"])
            ticket = Ticket.objects.filter(number=number).first() if number else None
            if ticket is None:
                form.add_error("ticket_number", NO_TICKET)
                return form, None
            inbound = services.inbound_message_attach(inbound_id=message_id, ticket=ticket,
                                                      actor=request.user)
            messages.success(request, _("The email is now a message of %(number)s.")
                             % {"number": ticket.number})
            return None, inbound.ticket_id
        if name == "open":
            requester = get_user_model().objects.filter(
                email=data["requester_email"].strip().lower(), organization__isnull=False,
                is_active=True).first()
            if requester is None:
                form.add_error("requester_email", NOT_A_CONTACT)
                return form, None
            inbound = services.inbound_message_open_ticket(
                inbound_id=message_id, requester=requester, department=data["department"],
                actor=request.user)
            messages.success(request, _("Ticket %(number)s opened from the email.")
                             % {"number": inbound.ticket.number})
            return None, inbound.ticket_id
        services.inbound_message_discard(inbound_id=message_id, actor=request.user,
                                         reason=data["reason"])
        messages.success(request, _("The email was discarded."))
        return None, None
    except (MailGatewayError, TicketsError) as error:
        form.add_error(None, error.messages)
        return form, None
