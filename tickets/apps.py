from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from .agents_group import on_post_migrate

        post_migrate.connect(on_post_migrate, dispatch_uid="tickets_agents_group_sync")

        from entitlements.signals import contract_renewed

        from .sla_clock import on_contract_renewed

        contract_renewed.connect(on_contract_renewed, dispatch_uid="tickets_sla_on_renewal")
