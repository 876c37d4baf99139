"""The agent workspace's admin site: Django's, with the app list built only when a page
shows it.

``AdminSite.each_context`` builds the whole app list (every registered model's
permissions and URLs) on every admin page, for the navigation sidebar. The workspace has
its own navigation (the sidebar is off), so only the index and app pages show that list.
The list is built lazily: a page that reads it gets it, the others (the queue, the ticket
page) no longer pay a fifth of their CPU time for it.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import BadRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

BAD_NUMBER = _("A number in the address is too large.")


class HelpdeskAdminSite(AdminSite):
    site_header = _("Helpdesk · agent workspace")
    site_title = _("Helpdesk")
    index_title = _("Queues and records")
    enable_nav_sidebar = False  # the workspace has its own navigation

    def admin_view(self, view, cacheable=False):
        """Every admin view; a number too large for the database typed into a filter of
        a stock change list ("?product=99999999999999999999999") is a 400, not a 500. (The
        embedded SQLite refuses to bind it; PostgreSQL compares it and finds nothing.)"""
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            try:
                return inner(request, *args, **kwargs)
            except OverflowError as error:
                raise BadRequest(BAD_NUMBER) from error

        return guarded

    def get_app_list(self, request, app_label=None):
        parent = super(HelpdeskAdminSite, self)  # noqa: UP008 (used inside the lambda)
        return SimpleLazyObject(lambda: parent.get_app_list(request, app_label))


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
