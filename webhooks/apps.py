from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalog import config_memo

        from . import receivers  # noqa: F401  (tickets' and credits' domain signals)
        from .models import WebhookEndpoint

        config_memo.watch(WebhookEndpoint)
