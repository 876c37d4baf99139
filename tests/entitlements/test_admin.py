import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from credits.models import LedgerEntry
from entitlements.models import ModuleLicence, SupportContract
from tests.factories import ContractPlanFactory, DeploymentFactory, SupportContractFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, two_orgs):
    client.force_login(User.objects.create_superuser("root@helpdesk.test", "pw"))
    return client


def test_contract_added_in_admin_grants_its_first_term(admin_client, two_orgs):
    deployment = DeploymentFactory(organization=two_orgs.acme)
    plan = ContractPlanFactory()
    today = timezone.localdate()
    response = admin_client.post(reverse("admin:entitlements_supportcontract_add"), {
        "deployment": deployment.pk, "plan": plan.pk, "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=364)).isoformat(),
        "created_at_0": today.isoformat(), "created_at_1": "10:00:00"})
    assert response.status_code == 302, response.content[:2000]
    contract = SupportContract.objects.get()
    assert LedgerEntry.objects.get().idempotency_key == f"contract:{contract.pk}:term:1"


def test_renew_action_grants_once_per_term(admin_client, two_orgs):
    contract = SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme))
    old_end = contract.ends_on
    admin_client.post(reverse("admin:entitlements_supportcontract_changelist"),
                      {"action": "renew", "_selected_action": [contract.pk]})
    contract.refresh_from_db()
    assert contract.term_count == 2 and contract.ends_on > old_end
    assert LedgerEntry.objects.filter(
        idempotency_key=f"contract:{contract.pk}:term:2").count() == 1


def test_module_added_without_end_gets_twelve_months(admin_client, two_orgs):
    deployment = DeploymentFactory(organization=two_orgs.acme)
    response = admin_client.post(reverse("admin:entitlements_modulelicence_add"), {
        "deployment": deployment.pk, "module_name": "EndPoint Manager",
        "purchased_on": "2026-01-31", "maintenance_ends_on": ""})
    assert response.status_code == 302
    assert ModuleLicence.objects.get().maintenance_ends_on == dt.date(2027, 1, 31)


def test_entitlement_admin_pages_render(admin_client):
    for name in ("deployment", "supportcontract", "contractplan", "hardwareitem",
                 "modulelicence", "billingresponsibility"):
        assert admin_client.get(reverse(f"admin:entitlements_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:entitlements_{name}_add")).status_code == 200
