"""Back office for tickets, events, time entries, canned replies and macros, with the stock
admin's rendering. Agents work tickets on the desk (desk app, /admin/desk/): a ticket's
page here opens it there. Tickets change only through the services, so the ticket list has
no add, change, delete or bulk action of its own (the desk's bulk action does that).

Lists stay fast at a million tickets: related names joined in the page's one query
(list_select_related), no full count (show_full_result_count = False) and a count capped
at CappedCountPaginator.CAP, searches served by indexes (workspace_selectors.queue_search).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credits.admin import ReadOnlyAdmin

from . import admin_views as views
from . import services
from . import workspace_selectors as ws
from .models import CannedReply, Macro, Ticket, TicketEvent, TimeEntry


class CappedCountPaginator(Paginator):
    """Counts at most CAP + 1 rows: a page of a million-row list costs the same as a page
    of a hundred-row one. Beyond the cap the list says "more than …"."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "organization", "requester", "department", "status",
                    "priority", "assignee", "last_activity_at")
    list_select_related = ("organization", "requester", "department__product", "assignee")
    list_filter = ("status", "priority", "department__product", "department")
    search_fields = ("number",)  # shows the search box; get_search_results does the work
    search_help_text = gettext_lazy(
        "Ticket number, subject, requester email or organization name.")
    ordering = ("-id",)
    sortable_by = ("number", "last_activity_at")
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # facet counts would count the whole table
    actions = None

    def get_search_results(self, request, queryset, search_term):
        """The queue's search (workspace_selectors.queue_search): a number or its start,
        an email, subject words, an organization's name; each on an index."""
        return ws.queue_search(queryset, search_term), False

    def has_add_permission(self, request):
        return False  # tickets come from customers (or an agent on the customer's behalf)

    def has_delete_permission(self, request, obj=None):
        return False

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
        """A ticket opens on the desk, where agents work it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit() or len(str(object_id)) > 18:
            return HttpResponseRedirect(reverse("admin:desk_queue"))
        return HttpResponseRedirect(reverse("admin:desk_ticket", args=[int(object_id)]))

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
            "admin:desk_ticket", obj.ticket_id), obj.ticket.number)


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
