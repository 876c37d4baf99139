"""Staff screens for deployments, contracts, plans, hardware and module licences.
Contract creation and renewal go through the services (credit grants once per term)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import exceptions as exc
from . import services
from .dates import add_months
from .models import (
    BillingResponsibility,
    ContractPlan,
    Deployment,
    HardwareItem,
    ModuleLicence,
    RenewalOrder,
    SupportContract,
)


@admin.register(BillingResponsibility)
class BillingResponsibilityAdmin(admin.ModelAdmin):
    list_display = ("code", "organization", "label")
    search_fields = ("code", "organization__name", "label")
    list_select_related = ("organization",)


class SupportContractInline(admin.TabularInline):
    model = SupportContract
    extra = 0
    fields = ("plan", "starts_on", "ends_on", "term_count")
    readonly_fields = ("plan", "starts_on", "ends_on", "term_count")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ModuleLicenceInline(admin.TabularInline):
    model = ModuleLicence
    extra = 0
    fields = ("module_name", "purchased_on", "maintenance_ends_on")
    show_change_link = True


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "organization", "product")
    list_filter = ("product",)
    search_fields = ("code", "name", "organization__name")
    list_select_related = ("organization", "product")
    inlines = (SupportContractInline, ModuleLicenceInline)


@admin.register(ContractPlan)
class ContractPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "term_months", "included_credits_minutes", "price", "currency",
                    "is_active")
    list_filter = ("is_active",)
    filter_horizontal = ("products",)


class ContractStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("ending", _("Ending within 30 days")),
                ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "active":
            return queryset.filter(starts_on__lte=today, ends_on__gte=today)
        if self.value() == "ending":
            return queryset.filter(ends_on__gte=today,
                                   ends_on__lte=today + timezone.timedelta(days=30))
        if self.value() == "expired":
            return queryset.filter(ends_on__lt=today)
        return queryset


@admin.register(SupportContract)
class SupportContractAdmin(admin.ModelAdmin):
    list_display = ("deployment", "organization", "plan", "starts_on", "ends_on", "term_count",
                    "is_active_today")
    list_filter = (ContractStatusFilter, "plan")
    search_fields = ("deployment__code", "deployment__organization__name")
    autocomplete_fields = ("deployment",)
    list_select_related = ("deployment__organization", "plan")
    readonly_fields = ("term_count", "reminder_30_sent_for", "reminder_7_sent_for")
    actions = ("renew",)

    @admin.display(description=_("organization"))
    def organization(self, obj):
        return obj.deployment.organization

    @admin.display(description=_("active today"), boolean=True)
    def is_active_today(self, obj):
        return obj.is_active_on(timezone.localdate())

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.contract_create(deployment=obj.deployment, plan=obj.plan,
                                           starts_on=obj.starts_on, ends_on=obj.ends_on,
                                           actor=request.user)
        obj.pk = created.pk
        obj.term_count = created.term_count

    @admin.action(description=_("Renew for one term (grants the plan's credits once)"))
    def renew(self, request, queryset):
        for contract in queryset:
            renewed = services.contract_renew(contract_id=contract.pk, actor=request.user)
            self.message_user(request, _("%(contract)s renewed until %(date)s.") % {
                "contract": renewed.deployment.code, "date": renewed.ends_on}, messages.SUCCESS)


@admin.register(HardwareItem)
class HardwareItemAdmin(admin.ModelAdmin):
    list_display = ("serial_number", "model_name", "organization", "product", "warranty_ends_on",
                    "connected_deployment")
    list_filter = ("product",)
    search_fields = ("serial_number", "model_name", "organization__name")
    autocomplete_fields = ("connected_deployment",)
    list_select_related = ("organization", "product", "connected_deployment")


class ModuleLicenceForm(forms.ModelForm):
    class Meta:
        model = ModuleLicence
        fields = ("deployment", "module_name", "purchased_on", "maintenance_ends_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("maintenance_ends_on")  # absent for a view-only user
        if field is not None:
            field.required = False
            field.help_text = _("Leave empty: a purchase includes 12 months of maintenance.")

    def clean(self):
        data = super().clean()
        if not data.get("maintenance_ends_on") and data.get("purchased_on"):
            data["maintenance_ends_on"] = add_months(data["purchased_on"], 12)
        return data


@admin.register(ModuleLicence)
class ModuleLicenceAdmin(admin.ModelAdmin):
    form = ModuleLicenceForm
    list_display = ("module_name", "deployment", "purchased_on", "maintenance_ends_on")
    search_fields = ("module_name", "deployment__code", "deployment__organization__name")
    autocomplete_fields = ("deployment",)
    list_select_related = ("deployment",)
    actions = ("renew_maintenance",)

    def get_changeform_initial_data(self, request):
        return {"purchased_on": timezone.localdate()}

    @admin.action(description=_("Renew maintenance for 12 months"))
    def renew_maintenance(self, request, queryset):
        for licence in queryset:
            services.module_maintenance_renew(licence_id=licence.pk)
        self.message_user(request, _("Maintenance renewed."), messages.SUCCESS)


@admin.register(RenewalOrder)
class RenewalOrderAdmin(admin.ModelAdmin):
    """Customers' contract renewal orders (from the wizard), read-only; marking one renewed
    adds a term to the contract through the service."""

    list_display = ("__str__", "deployment", "organization", "plan", "price", "currency",
                    "status", "requested_by", "requested_at", "decided_by", "decided_at")
    list_filter = ("status", "plan")
    search_fields = ("deployment__code", "deployment__organization__name")
    list_select_related = ("deployment__organization", "plan", "requested_by", "decided_by")
    actions = ("mark_renewed", "cancel")

    @admin.display(description=_("organization"))
    def organization(self, obj):
        return obj.deployment.organization

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def _decide(self, request, queryset, decide, done_message):
        done = 0
        for order in queryset:
            try:
                decide(order_id=order.pk, actor=request.user)
                done += 1
            except exc.RenewalRefused as error:
                self.message_user(request, f"{order}: {error.messages[0]}", messages.WARNING)
        self.message_user(request, done_message % {"n": done})

    @admin.action(description=_("Paid: renew the contract for one term"))
    def mark_renewed(self, request, queryset):
        self._decide(request, queryset, services.renewal_order_complete,
                     _("%(n)s contracts renewed."))

    @admin.action(description=_("Cancel"))
    def cancel(self, request, queryset):
        self._decide(request, queryset, services.renewal_order_cancel,
                     _("%(n)s renewal orders cancelled."))
