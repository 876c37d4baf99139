"""Agents' view of inbound email: quarantine first, raw message as escaped text, and the
three actions on a quarantined message (attach to a ticket, open a ticket, discard), each
calling the mail gateway services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import Department
from tickets import numbers
from tickets.exceptions import TicketsError
from tickets.models import Ticket

from . import selectors, services
from .exceptions import MailGatewayError
from .inbound import parse, reasons
from .models import InboundMessage, SenderDomainPolicy

RAW_DISPLAY_MAX_BYTES = 512 * 1024
RAW_REDUCED = _("Reduced by retention on %(date)s: only the headers are kept; the text and "
                "the attachments are on the ticket message.")


REQUESTER_NOT_A_CONTACT = _("The sender is not a customer contact: enter the requester's "
                            "email.")


class AttachForm(forms.Form):
    ticket_number = forms.CharField(label=_("Ticket number"), max_length=40,
                                    help_text=_("For example KXJ-482-19375 or [#KXJ-482-19375]"))

    def clean_ticket_number(self):
        number = numbers.number_parse(self.cleaned_data["ticket_number"])
        ticket = Ticket.objects.filter(number=number).first() if number else None
        if ticket is None:
            raise forms.ValidationError(_("There is no ticket with this number."))
        self.cleaned_data["ticket"] = ticket
        return number


class OpenTicketForm(forms.Form):
    requester_email = forms.EmailField(
        label=_("Requester (contact email)"), required=False,
        help_text=_("Leave empty to use the sender of each email."))
    department = forms.ModelChoiceField(label=_("Department"),
                                        queryset=Department.objects.all())

    def clean_requester_email(self):
        email = (self.cleaned_data.get("requester_email") or "").strip().lower()
        if email and not get_user_model().objects.filter(
                email=email, organization__isnull=False, is_active=True).exists():
            raise forms.ValidationError(_("There is no customer contact with this email."))
        return email


class DiscardForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "status", "from_address", "subject", "reason_label",
                    "auth_result", "ticket_link", "source")
    list_filter = ("status", "auth_result", "is_automatic", "message_id_reused", "source")
    search_fields = ("from_address", "subject", "header_message_id", "ticket__number")
    list_select_related = ("ticket",)
    date_hierarchy = "received_at"
    actions = ("attach_to_ticket", "open_ticket", "discard")
    fields = ("status", "reason_label", "auth_result", "auth_reason", "source",
              "received_at", "processed_at", "from_address", "subject", "header_message_id",
              "message_id_reused", "is_automatic", "attempts", "last_error",
              "ticket_link", "ticket_message", "size_bytes", "raw_reduced_at", "reply_preview",
              "raw_message")
    readonly_fields = fields

    def get_ordering(self, request):
        # Quarantined mail first (what waits for an agent), then the newest. The change
        # list orders by the admin's ordering, so it names the rank annotated below.
        return ("quarantine_rank", "-received_at", "-id")

    def get_queryset(self, request):
        quarantine_rank = Case(When(status=InboundMessage.Status.QUARANTINED, then=Value(0)),
                               default=Value(1), output_field=IntegerField())
        queryset = self.model._default_manager.annotate(quarantine_rank=quarantine_rank)
        return queryset.order_by(*self.get_ordering(request))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The stored message is evidence: its page is read-only; the list's actions (which
        # need the change permission) are the only way to act on it.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("reason"), ordering="reason")
    def reason_label(self, obj):
        return reasons.label(obj.reason)

    @admin.display(description=_("ticket"))
    def ticket_link(self, obj):
        if not obj.ticket_id:
            return "—"
        url = reverse("admin:desk_ticket", args=[obj.ticket_id]) \
            if admin.site.is_registered(Ticket) else ""
        if url:
            return format_html('<a href="{}">{}</a>', url, obj.ticket.number)
        return obj.ticket.number

    @admin.display(description=_("reply text (quotes stripped)"))
    def reply_preview(self, obj):
        if obj.raw_reduced_at:
            return obj.ticket_message.body if obj.ticket_message_id else "—"
        parsed = parse.parse_message(bytes(obj.raw))
        return format_html('<pre class="pre-wrap">{}</pre>',
                           services.reply_body(parsed))

    @admin.display(description=_("raw message"))
    def raw_message(self, obj):
        raw = bytes(obj.raw)
        text = raw[:RAW_DISPLAY_MAX_BYTES].decode("utf-8", errors="replace")
        if len(raw) > RAW_DISPLAY_MAX_BYTES:
            text += "\n[…]"
        if obj.raw_reduced_at:
            text = RAW_REDUCED % {"date": obj.raw_reduced_at.strftime("%Y-%m-%d")} + "\n\n" + text
        # format_html escapes: the original is shown as text, never rendered as HTML.
        return format_html('<pre class="pre-wrap pre-scroll">{}</pre>', text)

    # --- actions -------------------------------------------------------------------------

    def _form_page(self, request, queryset, form, action: str, title):
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form,
            "queryset": queryset, "action": action, "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/mailgateway/inboundmessage/action_form.html",
                                context)

    def _run(self, request, queryset, call) -> None:
        done = 0
        for inbound in queryset:
            try:
                call(inbound)
                done += 1
            except (MailGatewayError, TicketsError) as error:
                self.message_user(request, f"{inbound}: {' '.join(error.messages)}",
                                  messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d email(s) done.") % {"count": done},
                              messages.SUCCESS)

    @admin.action(description=_("Attach to a ticket"), permissions=["change"])
    def attach_to_ticket(self, request, queryset):
        form = AttachForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._form_page(request, queryset, form, "attach_to_ticket",
                                   _("Attach to a ticket"))
        ticket = form.cleaned_data["ticket"]
        self._run(request, queryset, lambda inbound: services.inbound_message_attach(
            inbound_id=inbound.pk, ticket=ticket, actor=request.user))
        return None

    @admin.action(description=_("Open a ticket from it"), permissions=["change"])
    def open_ticket(self, request, queryset):
        form = OpenTicketForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._form_page(request, queryset, form, "open_ticket",
                                   _("Open a ticket from it"))
        department = form.cleaned_data["department"]
        email = form.cleaned_data["requester_email"]

        def call(inbound):
            requester = selectors.quarantine_requester(email=email, inbound=inbound)
            if requester is None:
                raise MailGatewayError(REQUESTER_NOT_A_CONTACT)
            services.inbound_message_open_ticket(inbound_id=inbound.pk, requester=requester,
                                                 department=department, actor=request.user)
        self._run(request, queryset, call)
        return None

    @admin.action(description=_("Discard"), permissions=["change"])
    def discard(self, request, queryset):
        form = DiscardForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._form_page(request, queryset, form, "discard", _("Discard"))
        reason = form.cleaned_data["reason"]
        self._run(request, queryset, lambda inbound: services.inbound_message_discard(
            inbound_id=inbound.pk, actor=request.user, reason=reason))
        return None


@admin.register(SenderDomainPolicy)
class SenderDomainPolicyAdmin(admin.ModelAdmin):
    """Staff choose, per customer mail domain, whether a DMARC failure quarantines."""

    list_display = ("domain", "policy", "note", "updated_at")
    list_filter = ("policy",)
    search_fields = ("domain", "note")
