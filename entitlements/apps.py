from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitlementsConfig(AppConfig):
    name = "entitlements"
    verbose_name = _("Contracts, warranties and maintenance")
