"""Organizations and users in the admin.

The organization page gathers what an agent needs about a customer: contacts and roles,
credits, deployments with their contracts, hardware, commercial modules, and links to the
ledger, card batches, purchase orders and tickets (their own admins, filtered)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import security_admin  # noqa: F401 (registers the security events' admin)
from .models import Organization, User

# Apps whose models about an organization get a filtered link on its page.
LINKED_APPS = ("credits", "entitlements", "tickets")


def _table(headers, rows) -> str:
    if not rows:
        return format_html("<p>{}</p>", _("None."))
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows))
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def _active(flag: bool) -> str:
    return format_html('<span class="{}">{}</span>', "flag-yes" if flag else "flag-no",
                       _("active") if flag else _("expired"))


class ContactInline(admin.TabularInline):
    model = User
    fk_name = "organization"
    fields = ("email", "full_name", "role", "phone", "job_title", "language", "is_active",
              "last_login")
    readonly_fields = ("last_login",)
    extra = 0
    show_change_link = True
    verbose_name = _("contact")
    verbose_name_plural = _("contacts and roles")

    def has_delete_permission(self, request, obj=None):
        return False  # contacts are deactivated, never deleted (tickets refer to them)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "is_reseller", "balance", "created_at")
    list_select_related = ("credit_account",)
    search_fields = ("name", "portal_id")
    list_filter = ("is_reseller",)
    show_full_result_count = False
    filter_horizontal = ("customers",)
    inlines = [ContactInline]
    readonly_fields = ("balance", "related_links", "deployments_summary", "hardware_summary",
                       "modules_summary", "recent_ledger")
    fieldsets = (
        (None, {"fields": ("name", "portal_id", "is_reseller", "customers")}),
        (_("Credits"), {"fields": ("balance", "recent_ledger")}),
        (_("Entitlements"), {"fields": ("deployments_summary", "hardware_summary",
                                        "modules_summary")}),
        (_("Everything about this organization"), {"fields": ("related_links",)}),
    )

    @admin.display(description=_("credit balance (minutes)"))
    def balance(self, obj):
        account = getattr(obj, "credit_account", None) if obj and obj.pk else None
        if account is None:
            return 0
        minutes = account.balance_minutes
        return format_html('<strong class="{}">{}</strong>',
                           "flag-no" if minutes < 0 else "", minutes)

    @admin.display(description=_("latest ledger entries"))
    def recent_ledger(self, obj):
        if not obj.pk:
            return "—"
        entry = apps.get_model("credits", "LedgerEntry")
        rows = [(e.created_at.strftime("%Y-%m-%d %H:%M"), e.get_kind_display(), e.minutes,
                 e.balance_after_minutes, e.ticket_number, e.reason)
                for e in entry.objects.filter(account__organization=obj).order_by("-id")[:10]]
        return _table([_("date"), _("kind"), _("minutes"), _("balance after"), _("ticket"),
                       _("reason")], rows)

    @admin.display(description=_("deployments and contracts"))
    def deployments_summary(self, obj):
        if not obj.pk:
            return "—"
        today = timezone.localdate()
        deployment = apps.get_model("entitlements", "Deployment")
        rows = []
        for d in (deployment.objects.filter(organization=obj).select_related("product")
                  .prefetch_related("contracts__plan")):
            contract = max(d.contracts.all(), key=lambda c: c.ends_on, default=None)
            status = (format_html("{} — {}, {} {}", contract.plan, _active(
                contract.is_active_on(today)), _("ends"), contract.ends_on)
                if contract else _("No support contract"))
            rows.append((d.code, d.product, d.name, status))
        return _table([_("deployment"), _("product"), _("name"), _("contract")], rows)

    @admin.display(description=_("hardware"))
    def hardware_summary(self, obj):
        if not obj.pk:
            return "—"
        today = timezone.localdate()
        item = apps.get_model("entitlements", "HardwareItem")
        rows = [(h.serial_number, h.product, h.model_name,
                 format_html("{} ({})", _active(bool(h.warranty_ends_on and
                                                     h.warranty_ends_on >= today)),
                             h.warranty_ends_on or "—"))
                for h in item.objects.filter(organization=obj).select_related("product")]
        return _table([_("serial number"), _("product"), _("model"), _("warranty")], rows)

    @admin.display(description=_("commercial modules"))
    def modules_summary(self, obj):
        if not obj.pk:
            return "—"
        today = timezone.localdate()
        licence = apps.get_model("entitlements", "ModuleLicence")
        rows = [(m.module_name, m.deployment.code, m.purchased_on,
                 format_html("{} ({})", _active(m.maintenance_ends_on >= today),
                             m.maintenance_ends_on))
                for m in licence.objects.filter(deployment__organization=obj)
                .select_related("deployment")]
        return _table([_("module"), _("deployment"), _("purchased on"), _("maintenance")], rows)

    @admin.display(description=_("related records"))
    def related_links(self, obj):
        if not obj.pk:
            return "—"
        links = [(url, label) for url, label in self._related_admin_links(obj)]
        return format_html_join(" · ", '<a href="{}">{}</a>', links) or "—"

    def _related_admin_links(self, obj):
        """A filtered link to every registered admin of a model that belongs to an
        organization (directly, through its credit account or its deployment)."""
        paths = ("organization", "account__organization", "deployment__organization",
                 "redeemed_account__organization")
        for model in [m for label in LINKED_APPS if apps.is_installed(label)
                      for m in apps.get_app_config(label).get_models()]:
            if model not in self.admin_site._registry:
                continue
            for lookup in paths:
                if _has_path(model, lookup):
                    url = organization_changelist_url(self.admin_site, model, obj, lookup)
                    if url:
                        yield url, model._meta.verbose_name_plural.capitalize()
                    break


def organization_changelist_url(admin_site, model, organization, lookup: str) -> str:
    """The model's admin list narrowed to one organization: by its id when that admin
    accepts the lookup, else by a search for the organization's name; "" when the model
    has no admin."""
    model_admin = admin_site._registry.get(model)
    if model_admin is None:
        return ""
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        return ""
    param = f"{lookup}__id__exact"
    try:
        allowed = model_admin.lookup_allowed(param, str(organization.pk), None)
    except Exception:  # an admin whose filters need the request
        allowed = False
    if allowed:
        return f"{url}?{param}={organization.pk}"
    if any("organization__name" in f for f in model_admin.search_fields):
        return f"{url}?{urlencode({'q': organization.name})}"
    return url


def _has_path(model, lookup: str) -> bool:
    for name in lookup.split("__"):
        try:
            field = model._meta.get_field(name)
        except Exception:
            return False
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return model is Organization


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "organization", "role", "is_staff", "is_active",
                    "last_login")
    list_select_related = ("organization",)
    list_filter = ("is_staff", "is_superuser", "is_active", "role", "groups")
    search_fields = ("email", "full_name", "organization__name")
    show_full_result_count = False
    autocomplete_fields = ("organization",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Contact"), {"fields": ("full_name", "phone", "job_title", "language", "time_zone",
                                   "organization", "role", "details_confirmed_at")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                       "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1",
                                                 "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
