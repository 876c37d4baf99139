"""Demo credits of demo-data.md (idempotent): Acme Telecom bought one bundle of 300.

The 120 credits of Acme's contract grant are booked by entitlements.demo (the contract
lives there); together they make the 420 credits María sees. Globex has none.
One unsold prepaid card of 120 credits (DEMO_CARD, named in the README) to try redemption.
"""

from accounts.models import Organization

from . import services

DEMO_CARD = {"number": "0000-0000-0000-0120", "code": "DEMO-CARD-2468", "minutes": 120}


def load() -> dict:
    acme = Organization.objects.get(name="Acme Telecom")
    globex = Organization.objects.get(name="Globex Networks")
    services.credit_account_ensure(organization_id=globex.pk)
    entry = services.credit_purchase(organization_id=acme.pk, minutes=300,
                                     idempotency_key="demo:acme:bundle-300",
                                     reason="Demo: bundle of 300 credits")
    card = services.prepaid_card_ensure(**DEMO_CARD, batch="demo")
    return {"acme_purchase": entry, "demo_card": card}
