"""Whose records a contact may name, resellers choosing whose credits pay, step 1."""

import datetime as dt

import pytest
from django.utils import timezone

from credits import services as credits_services
from entitlements import engine, selectors
from tests.factories import (
    BillingResponsibilityFactory,
    DeploymentFactory,
    HardwareItemFactory,
    OrganizationFactory,
    SupportContractFactory,
    UserFactory,
    department,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
DAY = dt.timedelta(days=1)


def _contracted(org, product_code="freepbx"):
    from catalog.models import Product

    deployment = DeploymentFactory(organization=org, product=Product.objects.get(code=product_code))
    SupportContractFactory(deployment=deployment)
    return deployment


def test_another_organizations_deployment_is_unknown(two_orgs):
    credits_services.credit_purchase(organization_id=two_orgs.globex.pk, minutes=120,
                                     idempotency_key="k")
    other = _contracted(two_orgs.acme)
    decision = engine.evaluate(contact=two_orgs.ana, department=department("freepbx-configuration"),
                               deployment=other, lock=True)
    assert [r.code for r in decision.reasons] == ["deployment_unknown"]


def test_deployment_of_another_product_is_refused(two_orgs):
    credits_services.credit_purchase(organization_id=two_orgs.acme.pk, minutes=120,
                                     idempotency_key="k")
    sbc = _contracted(two_orgs.acme, "sbc")
    decision = engine.evaluate(contact=two_orgs.maria,
                               department=department("freepbx-configuration"), deployment=sbc)
    assert [r.code for r in decision.reasons] == ["deployment_wrong_product"]


def test_another_organizations_hardware_is_unknown(two_orgs):
    item = HardwareItemFactory(organization=two_orgs.acme)
    decision = engine.evaluate(contact=two_orgs.ana, department=department("sbc-hardware"),
                               hardware_item=item)
    assert [r.code for r in decision.reasons] == ["hardware_unknown"]


def test_reseller_chooses_whose_credits_pay(two_orgs):
    reseller = OrganizationFactory(name="Reseller SA", is_reseller=True)
    reseller.customers.add(two_orgs.acme)
    contact = UserFactory(organization=reseller)
    deployment = _contracted(two_orgs.acme)
    own = BillingResponsibilityFactory(organization=reseller)
    customer = BillingResponsibilityFactory(organization=two_orgs.acme)
    stranger = BillingResponsibilityFactory(organization=two_orgs.globex)
    credits_services.credit_purchase(organization_id=reseller.pk, minutes=120,
                                     idempotency_key="r")
    dept = department("freepbx-configuration")

    paid_by_reseller = engine.evaluate(contact=contact, department=dept, deployment=deployment,
                                       billing_responsibility=own, lock=True)
    assert paid_by_reseller.allowed
    assert paid_by_reseller.paying_organization_id == reseller.pk
    assert paid_by_reseller.balance_minutes == 120

    paid_by_customer = engine.evaluate(contact=contact, department=dept, deployment=deployment,
                                       billing_responsibility=customer, lock=True)
    assert paid_by_customer.paying_organization_id == two_orgs.acme.pk
    assert [r.code for r in paid_by_customer.reasons] == ["no_credits"]
    # Not an org admin of Acme: told to ask, not given the Credits page.
    assert [a.code for a in paid_by_customer.actions] == ["ask_admin"]

    refused = engine.evaluate(contact=contact, department=dept, deployment=deployment,
                              billing_responsibility=stranger)
    assert "billing_unknown" in [r.code for r in refused.reasons]


def test_selectors_list_own_and_reseller_customers_records(two_orgs):
    reseller = OrganizationFactory(name="Reseller SA", is_reseller=True)
    reseller.customers.add(two_orgs.acme)
    contact = UserFactory(organization=reseller)
    mine = DeploymentFactory(organization=reseller, code="DEP-R")
    theirs = DeploymentFactory(organization=two_orgs.acme, code="DEP-A")
    DeploymentFactory(organization=two_orgs.globex, code="DEP-G")
    assert list(selectors.deployments_for_contact(contact=contact)) == [theirs, mine]
    assert list(selectors.deployments_for_contact(contact=two_orgs.maria)) == [theirs]
    assert selectors.deployment_for_contact(contact=two_orgs.maria, code="dep-g") is None
    assert selectors.deployment_for_contact(contact=two_orgs.maria, code=" dep-a ") == theirs
    assert selectors.visible_organization_ids(contact=contact) == [reseller.pk, two_orgs.acme.pk]
    br = BillingResponsibilityFactory(organization=two_orgs.acme)
    assert list(selectors.billing_responsibilities_for_contact(contact=contact)) == [br]
    assert list(selectors.billing_responsibilities_for_contact(contact=two_orgs.ana)) == []


def test_step1_with_several_deployments_one_active_is_allowed(two_orgs):
    credits_services.credit_purchase(organization_id=two_orgs.acme.pk, minutes=120,
                                     idempotency_key="k")
    expired = DeploymentFactory(organization=two_orgs.acme)
    SupportContractFactory(deployment=expired, starts_on=TODAY() - 400 * DAY,
                           ends_on=TODAY() - DAY)
    _contracted(two_orgs.acme)
    decision = engine.evaluate(contact=two_orgs.maria, department=department("freepbx-configuration"))
    assert decision.allowed and decision.pending_items == ("deployment",)


def test_step1_without_any_deployment_tells_no_contract(two_orgs):
    decision = engine.evaluate(contact=two_orgs.ana, department=department("sbc-support"))
    assert [r.code for r in decision.reasons] == ["no_contract"]
    assert "Session Border Controller" in decision.reasons[0].message


def test_contract_not_started_yet(two_orgs):
    deployment = DeploymentFactory(organization=two_orgs.acme)
    SupportContractFactory(deployment=deployment, starts_on=TODAY() + DAY,
                           ends_on=TODAY() + 300 * DAY)
    decision = engine.evaluate(contact=two_orgs.maria, department=department("freepbx-configuration"),
                               deployment=deployment)
    assert "contract_not_started" in [r.code for r in decision.reasons]


def test_contact_without_organization_is_refused(two_orgs):
    decision = engine.evaluate(contact=two_orgs.agent, department=department("sipstation-general"))
    assert [r.code for r in decision.reasons] == ["no_organization"]


def test_reseller_without_credits_may_still_choose_a_customer_who_has_some(two_orgs):
    reseller = OrganizationFactory(name="Reseller SA", is_reseller=True)
    reseller.customers.add(two_orgs.acme)
    contact = UserFactory(organization=reseller, role="org_admin")
    customer_br = BillingResponsibilityFactory(organization=two_orgs.acme)
    credits_services.credit_purchase(organization_id=two_orgs.acme.pk, minutes=300,
                                     idempotency_key="c")
    dept = department("pbxact-ucc-configuration")
    step1 = engine.evaluate(contact=contact, department=dept)
    assert step1.allowed and step1.pending_items == ("billing_responsibility",)
    final_own = engine.evaluate(contact=contact, department=dept, lock=True)
    assert [r.code for r in final_own.reasons] == ["no_credits"]
    final_customer = engine.evaluate(contact=contact, department=dept, lock=True,
                                     billing_responsibility=customer_br)
    assert final_customer.allowed
    assert final_customer.paying_organization_id == two_orgs.acme.pk
    assert final_customer.balance_minutes == 300


def test_anonymous_contact_is_refused(db):
    from django.contrib.auth.models import AnonymousUser

    decision = engine.evaluate(contact=AnonymousUser(), department=department("sipstation-general"))
    assert [r.code for r in decision.reasons] == ["no_organization"]
