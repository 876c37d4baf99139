from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from catalog import config_memo

        from .models import CalendarHours, Holiday, SlaPolicy, SlaTarget, SupportCalendar

        config_memo.watch(SlaPolicy, SlaTarget, SupportCalendar, CalendarHours, Holiday)
