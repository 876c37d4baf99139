"""Load the demo data of demo-data.md. Idempotent: running it twice changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from credits import demo as credits_demo
from entitlements import demo as entitlements_demo
from sla import demo as sla_demo
from tickets import demo as tickets_demo


class Command(BaseCommand):
    help = "Load the demo organizations, contacts, entitlements and credits (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            accounts_demo.load()
            entitlements_demo.load()
            credits_demo.load()
            sla_demo.load()
            tickets_demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo logins (password: {accounts_demo.DEMO_PASSWORD}):")
        for email in accounts_demo.LOGINS:
            self.stdout.write(f"  {email}")
