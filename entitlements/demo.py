"""Demo deployments, contracts, hardware and modules of demo-data.md. Idempotent.

Dates are relative to the day the demo is first loaded.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization
from catalog.models import Product
from credits import services as credits_services

from .models import (
    BillingResponsibility,
    ContractPlan,
    Deployment,
    HardwareItem,
    ModuleLicence,
    SupportContract,
)


def load(*, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    days = dt.timedelta
    acme = Organization.objects.get(name="Acme Telecom")
    product = {p.code: p for p in Product.objects.all()}

    plan, created = ContractPlan.objects.get_or_create(
        name="Soporte Estándar", defaults={"term_months": 12, "included_credits_minutes": 120,
                                           "price": Decimal("1200.00"), "currency": "USD"})
    if created:
        plan.products.set([product[c] for c in ("freepbx", "pbxact-uc", "sbc", "vega")])

    BillingResponsibility.objects.get_or_create(
        code="BR-1001", defaults={"organization": acme, "label": "Acme Telecom"})
    dep1, _ = Deployment.objects.get_or_create(code="DEP-1001", defaults={
        "organization": acme, "product": product["freepbx"], "name": "Oficina principal"})
    dep2, _ = Deployment.objects.get_or_create(code="DEP-2001", defaults={
        "organization": acme, "product": product["pbxact-uc"], "name": "Sucursal norte"})
    contract1 = SupportContract.objects.filter(deployment=dep1).first()
    if contract1 is None:
        contract1 = SupportContract.objects.create(
            deployment=dep1, plan=plan, starts_on=today - days(30), ends_on=today + days(335))
    credits_services.credit_contract_grant(
        organization_id=acme.pk, minutes=plan.included_credits_minutes,
        contract_id=contract1.pk, term_number=1, reason=f"{plan.name} — {dep1.code}",
        reason_params={"plan": plan.name, "deployment": dep1.code})
    if not SupportContract.objects.filter(deployment=dep2).exists():
        SupportContract.objects.create(deployment=dep2, plan=plan,
                                       starts_on=today - days(375), ends_on=today - days(10))
    for module, bought_days_ago in (("EndPoint Manager", 60), ("Call Recording Reports", 400)):
        bought = today - days(bought_days_ago)
        ModuleLicence.objects.get_or_create(deployment=dep1, module_name=module, defaults={
            "purchased_on": bought, "maintenance_ends_on": bought + days(365)})
    hardware = [
        ("SBC-0001", "sbc", "SBC 1000", today + days(200), None),
        ("VEGA-0002", "vega", "Vega 3000G", today - days(5), None),
        ("PHONE-0003", "phones", "P330", today + days(500), dep1),
    ]
    for serial, code, model, warranty_end, connected in hardware:
        HardwareItem.objects.get_or_create(serial_number=serial, defaults={
            "organization": acme, "product": product[code], "model_name": model,
            "warranty_ends_on": warranty_end, "connected_deployment": connected})
    premium = _initech_premium(today=today, product=product)
    return {"plan": plan, "contract": contract1, "premium": premium}


def _initech_premium(*, today: dt.date, product: dict) -> ContractPlan:
    """Initech Voz: DEP-3001 (FreePBX) under "Soporte Premium", its 600 credits granted."""
    premium, created = ContractPlan.objects.get_or_create(
        name="Soporte Premium", defaults={"term_months": 12, "included_credits_minutes": 600})
    if created:
        premium.products.set([product[c] for c in ("freepbx", "pbxact-uc", "sbc", "vega")])
    initech = Organization.objects.get(name="Initech Voz")
    dep3, _ = Deployment.objects.get_or_create(code="DEP-3001", defaults={
        "organization": initech, "product": product["freepbx"], "name": "Central"})
    contract = SupportContract.objects.filter(deployment=dep3).first()
    if contract is None:
        contract = SupportContract.objects.create(
            deployment=dep3, plan=premium, starts_on=today - dt.timedelta(days=15),
            ends_on=today + dt.timedelta(days=350))
    credits_services.credit_contract_grant(
        organization_id=initech.pk, minutes=premium.included_credits_minutes,
        contract_id=contract.pk, term_number=1, reason=f"{premium.name} — {dep3.code}")
    return premium
