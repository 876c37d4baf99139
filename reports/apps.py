from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from tickets.signals import report_days_changed

        from .rollups import days_mark_dirty

        report_days_changed.connect(days_mark_dirty, dispatch_uid="reports_days_mark_dirty")
