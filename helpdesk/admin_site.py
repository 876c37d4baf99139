"""The helpdesk's admin site: Django's, with the site's login (throttle, failed-login
records, second factor), the agent desk (desk app) and the reports mounted under it."""

from __future__ import annotations

from functools import wraps

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import BadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

BAD_NUMBER = _("A number in the address is too large.")


class HelpdeskAdminSite(AdminSite):
    site_header = _("Helpdesk · agent workspace")
    site_title = _("Helpdesk")
    index_title = _("Queues and records")
    enable_nav_sidebar = False  # the desk has its own navigation; back office has breadcrumbs

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

    def has_permission(self, request):
        """Django's check, and the second factor (accounts.two_factor): staff reach the
        admin only from a session that passed it."""
        from accounts import two_factor

        return super().has_permission(request) and two_factor.admin_allowed(request)

    def login(self, request, extra_context=None):
        """One login for the site and the admin: the site's form (accounts.views.LoginView)
        with its throttle per (address, client IP), its failed-login records and the
        second-factor step, here under /admin/login/. Signed-in staff whose session has
        not passed the second factor yet are sent to it, which leads back to `next`."""
        from accounts import views as account_views

        index = reverse("admin:index", current_app=self.name)
        target = account_views.safe_next(request, request.GET.get(REDIRECT_FIELD_NAME, ""),
                                         index)
        if request.user.is_authenticated and request.user.is_staff:
            if self.has_permission(request):
                return redirect(target)
            return redirect(reverse("accounts:two_factor_verify") + "?"
                            + urlencode({REDIRECT_FIELD_NAME: target}))
        return account_views.LoginView.as_view(
            next_page=target, redirect_authenticated_user=False)(request)

    def index(self, request, extra_context=None):
        from reports.access import may_see_reports

        return super().index(request, {"is_support_manager": may_see_reports(request.user),
                                        **(extra_context or {})})

    def get_urls(self):
        """The agent desk (desk/urls.py) under /admin/desk/ and the reports under
        /admin/reports/, before the model admins."""
        from django.urls import path

        from desk.urls import desk_urls
        from reports import views as report_views

        return desk_urls(self) + [
            path("reports/", self.admin_view(
                lambda request: report_views.index(request, self)), name="reports_index"),
            path("reports/<slug:slug>/", self.admin_view(
                lambda request, slug: report_views.report(request, self, slug)),
                name="reports_report"),
        ] + super().get_urls()


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
