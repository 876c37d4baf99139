from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailgatewayConfig(AppConfig):
    name = "mailgateway"
    verbose_name = _("Mail gateway")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to tickets' notification signal)
        from .sources import webhook  # noqa: F401  (connects to anymail's inbound signal)
