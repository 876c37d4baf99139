"""List filters of the agent queue. Each filters by indexed columns of the ticket table:
lookups on related tables are turned into a short list of ids first (small tables), so no
filter joins or scans the million-row table.

The choice lists (products, departments, agents) are catalogue data read on every page of
the queue: they are kept per language for CHOICES_TTL_SECONDS in this process, with the
filter sidebar built from them for each query string, and dropped as soon as a product,
department, organization or user is saved or deleted here (another process sees the change
within the TTL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from catalog.models import Department, Product

from . import workspace_selectors as ws

CHOICES_TTL_SECONDS = 60
MAX_CACHED_CHOICES = 1000
_choices: dict[tuple, tuple[float, object]] = {}
T = TypeVar("T")


def cached_choices(name: str, build: Callable[[], T]) -> T:
    key = (name, get_language())
    now = time.monotonic()
    hit = _choices.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = build()
    if len(_choices) >= MAX_CACHED_CHOICES:  # every search term is a new key: stay bounded
        _choices.clear()
    _choices[key] = (now + CHOICES_TTL_SECONDS, value)
    return value


def forget_choices(**_kwargs) -> None:
    _choices.clear()


for _model in (Product, Department, Organization, get_user_model()):
    post_save.connect(forget_choices, sender=_model, dispatch_uid=f"queue-choices-{_model}")
    post_delete.connect(forget_choices, sender=_model, dispatch_uid=f"queue-choices-d-{_model}")


def department_names() -> dict[int, tuple[str, str]]:
    """Department id -> (product name, department name) in the active language, in the
    catalogue's order: the department filter's choices and the queue's column."""
    return cached_choices("departments", lambda: {
        d.pk: (d.product.name, d.name) for d in Department.objects.select_related("product")})


def agent_names() -> list[tuple[str, str]]:
    """(id, name) of every active agent, by email: the assignee filter's choices and the
    ticket page's assignee list."""
    return cached_choices("agents", lambda: [(str(u.pk), str(u)) for u in ws.agents()])


_is_id = ws.is_id


class ProductFilter(admin.SimpleListFilter):
    title = _("product")
    parameter_name = "product"

    def lookups(self, request, model_admin):
        return cached_choices("products", lambda: [
            (str(p.pk), p.name) for p in Product.objects.all()])

    def queryset(self, request, queryset):
        if not _is_id(self.value()):
            return queryset
        return ws.queue_by_product(queryset, self.value())


class DepartmentFilter(admin.SimpleListFilter):
    title = _("department (queue)")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        return [(str(pk), f"{product} · {name}")
                for pk, (product, name) in department_names().items()]

    def queryset(self, request, queryset):
        return queryset.filter(department_id=self.value()) if _is_id(self.value()) else queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"
    ME, NOBODY = "me", "none"

    def lookups(self, request, model_admin):
        return [(self.ME, str(_("Me"))), (self.NOBODY, str(_("Unassigned")))] + agent_names()

    def queryset(self, request, queryset):
        # "all", empty or anything else: every ticket
        return ws.queue_by_assignee(queryset, self.value(), user=request.user)


class CreditsRuleFilter(admin.SimpleListFilter):
    title = _("paid or free department")
    parameter_name = "credits"

    def lookups(self, request, model_admin):
        return Department.Credits.choices

    def queryset(self, request, queryset):
        if self.value() not in Department.Credits.values:
            return queryset
        return ws.queue_by_credits_rule(queryset, self.value())


class OverdrawnFilter(admin.SimpleListFilter):
    title = _("organization's credits")
    parameter_name = "overdrawn"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdrawn organizations"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        return ws.queue_overdrawn(queryset)


class OrganizationFilter(admin.SimpleListFilter):
    """Type an organization's name (or id): the organization table may be large, so it is
    not listed."""

    title = _("organization")
    parameter_name = "organization"
    template = "admin/tickets/filter_text_input.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # The other parameters of the list, kept as hidden inputs of the filter's form.
        self.other_params = [(k, v) for k, values in request.GET.lists() for v in values
                             if k not in (self.parameter_name, "p")]

    def lookups(self, request, model_admin):
        # Only the selected one is listed (so the "All" link and the chip show its name).
        value = self.value()
        if _is_id(value):
            org = Organization.objects.filter(pk=value).only("name").first()
            if org is not None:
                return [(value, org.name)]
        return [(value, value)] if value else []

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        return ws.queue_by_organization(queryset, self.value())


class ServiceLevelFilter(admin.SimpleListFilter):
    """The next due time (sla.clock): breaching soon (past 75 % of the target, not yet
    due), breached, or every ticket with a due time; each sorted by due time (the queue's
    get_ordering), on the index tickets_sla_due."""

    title = _("service level")
    parameter_name = "due"
    ORDERED = ("soon", "breached", "any")

    def lookups(self, request, model_admin):
        return [("soon", _("Breaching soon")), ("breached", _("Breached")),
                ("any", _("Any due time, soonest first"))]

    def queryset(self, request, queryset):
        from django.utils import timezone

        now = timezone.now()
        value = self.value()
        if value == "soon":
            return queryset.filter(sla_due_at__gt=now, sla_risk_at__lte=now)
        if value == "breached":
            return queryset.filter(sla_due_at__lte=now)
        if value == "any":
            return queryset.filter(sla_due_at__isnull=False)
        return queryset
