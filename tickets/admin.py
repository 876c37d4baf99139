"""The agent workspace: department queues, the ticket page, canned replies, audit trail.

The queue answers in a fixed, small number of queries whatever the page size (one query
of the ticket table, then the names shown by primary key; no per-row lookups), never counts
the whole table (capped count, no full result count), and its default order and filters
are served by indexes.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credits.admin import ReadOnlyAdmin
from sla import clock

from . import admin_filters as filters
from . import admin_views as views
from . import services
from . import workspace_selectors as ws
from .admin_forms import AssignActionForm, DepartmentActionForm, StatusActionForm
from .admin_rows import QueueRow, queue_rows
from .models import CannedReply, Macro, Ticket, TicketEvent, TimeEntry


class CappedCountPaginator(Paginator):
    """Counts at most CAP + 1 rows: a page of a million-row queue costs the same as a page
    of a hundred-row one. Beyond the cap the list says "more than …"."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class QueueChangeList(ChangeList):
    """Never counts: it reads one row more than a page to know whether another page
    follows. One query per page, whatever the size of the queue or of the search result;
    the pagination offers the pages seen so far and the next one."""

    MAX_PAGE = 10_000  # deeper than any agent pages; a search finds older tickets

    def get_results(self, request):
        per_page = self.list_per_page
        if not 1 <= self.page_num <= self.MAX_PAGE:  # "?p=-1", "?p=99999999999"
            raise IncorrectLookupParameters
        offset = (self.page_num - 1) * per_page
        # Plain tuples of the shown columns, not model instances (a fifth of the page's
        # CPU time with fifty rows).
        rows = queue_rows(list(self.queryset.values_list(*QueueRow.FIELDS)[
            offset: offset + per_page + 1]))
        if not rows and self.page_num > 1:
            raise IncorrectLookupParameters
        self.has_more = len(rows) > per_page
        self.result_list = rows[:per_page]
        self.result_count = offset + len(rows)  # a lower bound when has_more
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = self.has_more or self.page_num > 1
        self.paginator = Paginator(range(self.result_count), per_page)


def waiting_duration(since, *, now=None) -> str:
    if since is None:
        return "—"
    minutes = int(((now or timezone.now()) - since).total_seconds() // 60)
    days, rest = divmod(max(minutes, 0), 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)sd %(h)sh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)sh %(m)sm") % {"h": hours, "m": minutes}
    return _("%(m)sm") % {"m": minutes}


DUE_STATES = {"on_track": gettext_lazy("On track"), "at_risk": gettext_lazy("At risk"),
              "breached": gettext_lazy("Breached")}


def due_state(row, *, now=None) -> str:
    return clock.state(row, now=now or timezone.now())


def due_label(row, *, now=None) -> str:
    state = due_state(row, now=now)
    if not state:
        return "—"
    when = timezone.localtime(row.sla_due_at).strftime("%Y-%m-%d %H:%M")
    return f"{DUE_STATES[state]} · {when}"


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "organization", "requester", "queue", "status",
                    "assignee", "last_activity_at", "waiting_for_us", "due")
    list_display_links = ("number", "subject")
    # The rows are read without joins (QueueChangeList.get_results); () rather than False,
    # which would make the admin join every foreign key for the bulk actions' queryset.
    list_select_related = ()
    list_filter = ("status", filters.ProductFilter, filters.DepartmentFilter,
                   filters.AssigneeFilter, filters.OrganizationFilter,
                   filters.CreditsRuleFilter, filters.OverdrawnFilter,
                   filters.ServiceLevelFilter)
    search_fields = ("number",)  # shows the search box; get_search_results does the work
    search_help_text = gettext_lazy(
        "Ticket number, subject, requester email or organization name.")
    ordering = (F("waiting_since").asc(nulls_last=True), "-last_activity_at", "-id")
    sortable_by = ()
    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would count the whole table
    actions = ("assign_to_me", "assign_to_agent", "change_status", "move_department",
               "resolve")

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    # --- columns ---------------------------------------------------------------------

    @admin.display(description=gettext_lazy("product / department"))
    def queue(self, obj: Ticket) -> str:
        return f"{obj.department.product.name} · {obj.department.name}"

    @admin.display(description=gettext_lazy("waiting for us"))
    def waiting_for_us(self, obj: Ticket) -> str:
        return waiting_duration(obj.waiting_since)

    @admin.display(description=gettext_lazy("due"))
    def due(self, obj: Ticket) -> str:
        return due_label(obj)

    def get_ordering(self, request):
        if request.GET.get(filters.ServiceLevelFilter.parameter_name) in (
                filters.ServiceLevelFilter.ORDERED):
            return ("sla_due_at", "id")
        return super().get_ordering(request)

    # --- search ----------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        return ws.queue_search(queryset, search_term), False

    # --- permissions: tickets come from customers and are never deleted ---------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- the ticket page -------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("overview/", self.admin_site.admin_view(self.overview_view),
                 name=f"{info[0]}_{info[1]}_overview"),
            path("<int:ticket_id>/messages/<int:message_id>/original/",
                 self.admin_site.admin_view(self.original_email_view),
                 name=f"{info[0]}_{info[1]}_original_email"),
            path("<int:ticket_id>/attachments/<int:attachment_id>/",
                 self.admin_site.admin_view(self.attachment_view),
                 name=f"{info[0]}_{info[1]}_attachment"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return views.ticket_page(self, request, object_id)

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows, as_of = ws.queue_overview_cached()
        return TemplateResponse(request, "admin/tickets/ticket/overview.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "title": _("Queue overview"), "rows": rows, "as_of": as_of,
        })

    def original_email_view(self, request, ticket_id: int, message_id: int):
        return views.original_email(self, request, ticket_id, message_id)

    def attachment_view(self, request, ticket_id: int, attachment_id: int):
        return views.attachment_download(self, request, ticket_id, attachment_id)

    # --- bulk actions ----------------------------------------------------------------

    @admin.action(description=gettext_lazy("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        tickets = views.bulk_guard(self, request, queryset)
        if tickets is not None:
            views.bulk_apply(self, request, tickets, lambda t: services.ticket_assign(
                ticket=t, actor=request.user, assignee=request.user),
                _("%(count)s tickets assigned to you."))

    @admin.action(description=gettext_lazy("Assign to an agent…"), permissions=["change"])
    def assign_to_agent(self, request, queryset):
        return self._with_form(request, queryset, AssignActionForm, "assign_to_agent",
                               _("Assign tickets"), lambda t, d: services.ticket_assign(
                                   ticket=t, actor=request.user, assignee=d["assignee"]),
                               _("%(count)s tickets assigned."))

    @admin.action(description=gettext_lazy("Change status…"), permissions=["change"])
    def change_status(self, request, queryset):
        return self._with_form(request, queryset, StatusActionForm, "change_status",
                               _("Change status"), lambda t, d: services.ticket_status_change(
                                   ticket=t, actor=request.user, status=d["status"]),
                               _("%(count)s tickets changed."))

    @admin.action(description=gettext_lazy("Move to another department…"),
                  permissions=["change"])
    def move_department(self, request, queryset):
        return self._with_form(
            request, queryset, DepartmentActionForm, "move_department",
            _("Move to another department"),
            lambda t, d: services.ticket_department_change(
                ticket=t, actor=request.user, department=d["department"], reason=d["reason"]),
            _("%(count)s tickets moved."))

    @admin.action(description=gettext_lazy("Resolve"), permissions=["change"])
    def resolve(self, request, queryset):
        tickets = views.bulk_guard(self, request, queryset)
        if tickets is not None:
            views.bulk_apply(self, request,
                             [t for t in tickets if t.status != Ticket.Status.RESOLVED],
                             lambda t: services.ticket_resolve(ticket=t, actor=request.user),
                             _("%(count)s tickets resolved."))

    def _with_form(self, request, queryset, form_class, name, title, action, done):
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            tickets = views.bulk_guard(self, request, queryset)
            if tickets is not None:
                data = form.cleaned_data
                views.bulk_apply(self, request, tickets, lambda t: action(t, data), done)
            return None
        return views.bulk_form_page(self, request, queryset, form=form, action_name=name,
                                    title=title)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket_number", "kind", "actor", "data")
    list_select_related = ("ticket", "actor")
    list_filter = ("kind",)
    search_fields = ("=ticket__number",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-id",)
    sortable_by = ()

    @admin.display(description=gettext_lazy("ticket"))
    def ticket_number(self, obj):
        return obj.ticket.number


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket_link", "agent", "minutes", "note", "reverses")
    list_select_related = ("ticket", "agent", "reverses")
    search_fields = ("=ticket__number",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-id",)
    sortable_by = ()

    @admin.display(description=gettext_lazy("ticket"))
    def ticket_link(self, obj):
        return format_html('<a href="{}">{}</a>', views.admin_url(
            "admin:tickets_ticket_change", obj.ticket_id), obj.ticket.number)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "department", "is_active", "created_by", "updated_at")
    list_select_related = ("department__product", "created_by")
    list_filter = ("is_active", "department")
    search_fields = ("title", "body")

    def save_model(self, request, obj, form, change):
        services.canned_reply_save(reply=obj, actor=request.user)
        if not change:
            messages.info(request, _("Agents can now pick this reply on the ticket page."))


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """Staff prepare macros; agents use them on the desk's reply form."""

    list_display = ("title", "department", "status", "priority", "assign", "is_active",
                    "updated_at")
    list_select_related = ("department__product",)
    list_filter = ("is_active",)
    search_fields = ("title", "body")

    def save_model(self, request, obj, form, change):
        from .desk_services import macro_save

        macro_save(macro=obj, actor=request.user)
