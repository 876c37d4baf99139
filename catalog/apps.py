from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Products and departments")

    def ready(self) -> None:
        from . import config_memo
        from .models import Department, DepartmentField, Product

        config_memo.watch(Product, Department, DepartmentField)
