"""Demo credits of demo-data.md (idempotent): Acme Telecom bought one bundle of 300.

The 120 credits of Acme's contract grant are booked by entitlements.demo (the contract
lives there); together they make the 420 credits María sees. Globex has none.
"""

from accounts.models import Organization

from . import services


def load() -> dict:
    acme = Organization.objects.get(name="Acme Telecom")
    globex = Organization.objects.get(name="Globex Networks")
    services.credit_account_ensure(organization_id=globex.pk)
    entry = services.credit_purchase(organization_id=acme.pk, minutes=300,
                                     idempotency_key="demo:acme:bundle-300",
                                     reason="Demo: bundle of 300 credits")
    return {"acme_purchase": entry}
