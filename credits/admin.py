"""Staff screens for credits. The ledger is read-only for everyone: corrections are new
entries (manual adjustment with a required reason), made through the services."""


from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import exceptions as exc
from . import services
from .csv_export import csv_writer
from .forms import AdjustmentForm, CardBatchForm
from .models import AdjustmentRequest, CreditAccount, LedgerEntry, PrepaidCard, PurchaseOrder

ADJUSTMENT_PENDING = _("The adjustment is above %(limit)s minutes: it waits for a second "
                       "staff member's approval (Adjustments awaiting approval).")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records (ledger, audit events): nobody edits or deletes them here, not
    even a superuser."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "kind", "minutes", "balance_after_minutes",
                    "ticket_number", "contract_id", "actor", "reason")
    list_filter = ("kind",)
    search_fields = ("account__organization__name", "ticket_number", "reason",
                     "idempotency_key")
    list_select_related = ("account__organization", "actor")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(CreditAccount)
class CreditAccountAdmin(admin.ModelAdmin):
    list_display = ("organization", "balance_minutes", "balance_state",
                    "low_balance_threshold_minutes", "updated_at")
    list_filter = ("balance_state",)
    search_fields = ("organization__name",)
    list_select_related = ("organization",)
    fields = ("organization", "balance_minutes", "balance_state", "low_balance_threshold_minutes",
              "updated_at", "ledger_link", "adjust_link")
    readonly_fields = ("organization", "balance_minutes", "balance_state", "updated_at",
                       "ledger_link", "adjust_link")

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("ledger"))
    def ledger_link(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:credits_ledgerentry_changelist") + f"?account__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("See every entry"))

    @admin.display(description=_("manual adjustment"))
    def adjust_link(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:credits_creditaccount_adjust", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Book an adjustment"))

    def get_urls(self):
        return [path("<int:pk>/adjust/", self.admin_site.admin_view(self.adjust_view),
                     name="credits_creditaccount_adjust")] + super().get_urls()

    def adjust_view(self, request, pk):
        account = get_object_or_404(CreditAccount.objects.select_related("organization"), pk=pk)
        if not request.user.has_perm("credits.add_ledgerentry"):
            raise PermissionDenied
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                done = services.adjustment_submit(organization_id=account.organization_id,
                                                  minutes=form.cleaned_data["minutes"],
                                                  reason=form.cleaned_data["reason"],
                                                  actor=request.user)
            except exc.InvalidCreditInput as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                self.message_user(request, _("Adjustment booked.")
                                  if isinstance(done, LedgerEntry) else ADJUSTMENT_PENDING
                                  % {"limit": settings.CREDIT_ADJUSTMENT_MAX_MINUTES},
                                  messages.SUCCESS)
                return redirect("admin:credits_creditaccount_change", account.pk)
        context = {**self.admin_site.each_context(request), "form": form, "account": account,
                   "opts": self.model._meta, "title": _("Manual adjustment")}
        return TemplateResponse(request, "credits/admin/adjust.html", context)


@admin.register(PrepaidCard)
class PrepaidCardAdmin(ReadOnlyAdmin):
    list_display = ("number", "minutes", "batch", "created_at", "redeemed_at",
                    "redeemed_account", "failed_attempts")
    list_filter = ("minutes", "batch", ("redeemed_at", admin.EmptyFieldListFilter))
    search_fields = ("number", "batch")
    list_select_related = ("redeemed_account__organization",)
    exclude = ("code_hash",)
    change_list_template = "credits/admin/card_changelist.html"

    def get_urls(self):
        return [path("generate/", self.admin_site.admin_view(self.generate_view),
                     name="credits_prepaidcard_generate")] + super().get_urls()

    def generate_view(self, request):
        if not request.user.has_perm("credits.add_prepaidcard"):
            raise PermissionDenied
        form = CardBatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            pairs = services.prepaid_card_batch_generate(
                count=form.cleaned_data["count"], minutes=form.cleaned_data["minutes"],
                batch=form.cleaned_data["batch"], actor=request.user)
            # The only time the codes exist in clear: handed over as a download.
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="prepaid-cards.csv"'
            writer = csv_writer(response)
            writer.writerow(["card_number", "verification_code", "credits"])
            for number, code in pairs:
                writer.writerow([number, code, form.cleaned_data["minutes"]])
            return response
        context = {**self.admin_site.each_context(request), "form": form,
                   "opts": self.model._meta, "title": _("Generate prepaid credit cards")}
        return TemplateResponse(request, "credits/admin/generate_cards.html", context)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "account", "minutes", "status", "requested_by", "requested_at",
                    "decided_by", "decided_at")
    list_filter = ("status", "minutes")
    search_fields = ("account__organization__name", "payment_reference")
    list_select_related = ("account__organization", "requested_by", "decided_by")
    actions = ("mark_paid", "cancel")

    def has_change_permission(self, request, obj=None):
        # Needed for the actions; the form itself shows every field read-only.
        return request.user.has_perm("credits.change_purchaseorder")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.action(description=_("Mark paid (books the credits once)"))
    def mark_paid(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                services.purchase_order_mark_paid(order_id=order.pk, actor=request.user)
                done += 1
            except exc.OrderNotPending as error:
                self.message_user(request, f"{order}: {error.messages[0]}", messages.WARNING)
        self.message_user(request, _("%(n)s purchase orders paid.") % {"n": done})

    @admin.action(description=_("Cancel"))
    def cancel(self, request, queryset):
        for order in queryset:
            try:
                services.purchase_order_cancel(order_id=order.pk, actor=request.user)
            except exc.OrderNotPending as error:
                self.message_user(request, f"{order}: {error.messages[0]}", messages.WARNING)


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdmin):
    """Large adjustments awaiting a second staff member: approve (books the entry) or
    reject, never by the staff member who asked."""

    list_display = ("__str__", "account", "minutes", "reason", "status", "requested_by",
                    "requested_at", "decided_by", "decided_at", "entry")
    list_filter = ("status",)
    search_fields = ("account__organization__name", "reason")
    list_select_related = ("account__organization", "requested_by", "decided_by", "entry")
    actions = ("approve", "reject")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("credits.adjust_decide")  # for the actions only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def _decide(self, request, queryset, *, approve: bool) -> None:
        if not request.user.has_perm("credits.adjust_decide"):
            raise PermissionDenied
        done = 0
        for adjustment in queryset:
            try:
                services.adjustment_request_decide(request_id=adjustment.pk,
                                                   actor=request.user, approve=approve)
                done += 1
            except exc.InvalidCreditInput as error:
                self.message_user(request, f"{adjustment}: {error.messages[0]}",
                                  messages.WARNING)
        self.message_user(request, _("%(n)s adjustments decided.") % {"n": done})

    @admin.action(description=_("Approve (books the adjustment)"))
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject"))
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)
