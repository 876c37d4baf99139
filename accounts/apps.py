from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organizations and contacts")

    def ready(self):
        from . import signals
        from .permission_cache import connect_signals

        connect_signals()
        signals.connect_signals()
