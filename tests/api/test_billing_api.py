"""API v1 for the billing system: staff tokens with the billing scope; every write books
once per Idempotency-Key."""

from __future__ import annotations

import pytest

from credits import services as credit_services
from credits.models import LedgerEntry
from credits.selectors import credit_balance_minutes
from entitlements.models import HardwareItem, ModuleLicence, SupportContract
from tests.factories import DeploymentFactory, StaffFactory
from tests.factories.entitlements import ContractPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(api_for):
    return api_for(StaffFactory(is_superuser=True), scopes=["billing"])


def test_grant_and_adjust_with_an_idempotency_key(two_orgs, billing):
    body = {"organization": two_orgs.acme.pk, "kind": "purchase", "minutes": 300,
            "reason": "Invoice 2026-118"}
    first = billing.post("/api/v1/billing/credits/", body, format="json",
                         HTTP_IDEMPOTENCY_KEY="inv-2026-118")
    assert first.status_code == 201, first.json()
    again = billing.post("/api/v1/billing/credits/", body, format="json",
                         HTTP_IDEMPOTENCY_KEY="inv-2026-118")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 300
    assert billing.post("/api/v1/billing/credits/", body, format="json"
                        ).status_code == 400  # no key
    adjust = billing.post("/api/v1/billing/credits/", {**body, "kind": "adjustment",
                                                       "minutes": -20, "reason": "goodwill"},
                          format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert adjust.status_code == 201
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 280
    no_reason = billing.post("/api/v1/billing/credits/", {**body, "kind": "adjustment",
                                                          "reason": " "}, format="json",
                             HTTP_IDEMPOTENCY_KEY="adj-2")
    assert no_reason.status_code == 400
    reused = billing.post("/api/v1/billing/contracts/", {}, format="json",
                          HTTP_IDEMPOTENCY_KEY="inv-2026-118")
    assert reused.status_code == 409
    assert LedgerEntry.objects.count() == 2


def test_purchase_order_paid_once(two_orgs, billing):
    order = credit_services.purchase_order_request(organization_id=two_orgs.acme.pk,
                                                   minutes=120, actor=two_orgs.maria)
    url = f"/api/v1/billing/purchase-orders/{order.pk}/paid/"
    assert billing.post(url, {"payment_reference": "SEPA 77"}, format="json"
                        ).json()["status"] == "paid"
    assert billing.post(url, {}, format="json").status_code == 200
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 120
    assert billing.post("/api/v1/billing/purchase-orders/999999/paid/", {},
                        format="json").status_code == 404


def test_contracts_hardware_and_modules(two_orgs, billing):
    deployment = DeploymentFactory(organization=two_orgs.acme, code="DEP-9001")
    plan = ContractPlanFactory()
    created = billing.post("/api/v1/billing/contracts/", {
        "deployment": "DEP-9001", "plan": plan.pk, "starts_on": "2026-01-01"},
        format="json", HTTP_IDEMPOTENCY_KEY="contract-9001")
    assert created.status_code == 201, created.json()
    assert created.json()["ends_on"] == "2026-12-31"
    renewed = billing.post(f"/api/v1/billing/contracts/{created.json()['id']}/renew/",
                           format="json", HTTP_IDEMPOTENCY_KEY="renew-9001-1")
    assert renewed.json()["term_count"] == 2
    billing.post(f"/api/v1/billing/contracts/{created.json()['id']}/renew/",
                 format="json", HTTP_IDEMPOTENCY_KEY="renew-9001-1")
    assert SupportContract.objects.get().term_count == 2
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 240

    hardware = billing.post("/api/v1/billing/hardware/", {
        "serial_number": "VEGA-7", "organization": two_orgs.acme.pk,
        "product": deployment.product.code, "warranty_ends_on": "2028-01-31",
        "connected_deployment": "DEP-9001"}, format="json")
    assert hardware.status_code == 201, hardware.json()
    assert HardwareItem.objects.get(serial_number="VEGA-7").warranty_ends_on.year == 2028
    assert billing.post("/api/v1/billing/hardware/", {
        "serial_number": "VEGA-7", "organization": two_orgs.acme.pk,
        "product": deployment.product.code}, format="json").status_code == 400
    module = billing.post("/api/v1/billing/module-licences/", {
        "deployment": "DEP-9001", "module_name": "Call recording",
        "purchased_on": "2026-03-01"}, format="json")
    assert module.status_code == 201 and module.json()["maintenance_ends_on"] == "2027-03-01"
    assert ModuleLicence.objects.count() == 1


def test_only_billing_tokens_of_staff(two_orgs, api_for, client):
    body = {"organization": two_orgs.acme.pk, "kind": "purchase", "minutes": 300,
            "reason": "x"}
    admin = StaffFactory(is_superuser=True)
    write_token = api_for(admin, scopes=["read", "write"])
    assert write_token.post("/api/v1/billing/credits/", body, format="json",
                            HTTP_IDEMPOTENCY_KEY="k").status_code == 403
    client.force_login(admin)
    assert client.post("/api/v1/billing/credits/", body, content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY="k").status_code == 403
    # Not billing staff: 404, as for a page that does not exist (a customer, an agent).
    assert api_for(two_orgs.maria).post("/api/v1/billing/credits/", body, format="json",
                                        HTTP_IDEMPOTENCY_KEY="k").status_code == 404
    assert api_for(two_orgs.agent, scopes=["billing"]).post(
        "/api/v1/billing/credits/", body, format="json",
        HTTP_IDEMPOTENCY_KEY="k").status_code == 404
    assert not LedgerEntry.objects.exists()
