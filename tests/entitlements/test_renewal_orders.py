"""Issue 11: "Renew the support contract of DEP-…" is an action: an organization admin's
POST creates a renewal order (one pending per deployment, at the plan's price if set) that
staff see and mark renewed (the contract gains a term); others are led to sales."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Department
from entitlements import engine, services
from entitlements.models import RenewalOrder, SupportContract
from tests.factories import DeploymentFactory, SupportContractFactory
from tests.factories.entitlements import ContractPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapsed(two_orgs):
    plan = ContractPlanFactory(price=Decimal("1200.00"), currency="USD")
    deployment = DeploymentFactory(code="DEP-2001", organization=two_orgs.acme)
    today = timezone.localdate()
    return SupportContractFactory(deployment=deployment, plan=plan,
                                  starts_on=today - dt.timedelta(days=375),
                                  ends_on=today - dt.timedelta(days=10))


def _renew_action(contact):
    department = Department.objects.get(code="freepbx-configuration")
    decision = engine.evaluate(contact=contact, department=department)
    return next(a for a in decision.actions if a.code == "renew_contract")


def test_an_admin_orders_the_renewal_once_at_the_plans_price(client, two_orgs, lapsed):
    action = _renew_action(two_orgs.maria)
    assert action.method == "post" and action.url == reverse(
        "entitlements:renewal_request", args=["DEP-2001"])
    client.force_login(two_orgs.maria)
    response = client.post(action.url, follow=True)
    order = RenewalOrder.objects.get()
    assert (order.contract, order.price, order.status) == (lapsed, Decimal("1200.00"), "pending")
    html = response.content.decode()
    assert str(order) in html and "USD 1,200.00" in html
    client.post(action.url)
    assert RenewalOrder.objects.count() == 1  # still the one pending order


def test_a_colleague_is_led_to_sales_and_cannot_order(client, two_orgs, lapsed):
    action = _renew_action(two_orgs.juan)
    assert action.method == "get" and "sales-questions" in action.url
    client.force_login(two_orgs.juan)
    client.post(reverse("entitlements:renewal_request", args=["DEP-2001"]))
    assert RenewalOrder.objects.count() == 0


def test_another_organizations_deployment_is_404(client, two_orgs, lapsed):
    client.force_login(two_orgs.ana)
    response = client.post(reverse("entitlements:renewal_request", args=["DEP-2001"]))
    assert response.status_code == 404 and RenewalOrder.objects.count() == 0


def test_staff_mark_it_renewed_and_the_contract_gains_a_term(two_orgs, lapsed):
    order, created = services.renewal_order_request(deployment_code="DEP-2001",
                                                    actor=two_orgs.maria)
    assert created
    services.renewal_order_complete(order_id=order.pk, actor=two_orgs.agent)
    contract = SupportContract.objects.get(pk=lapsed.pk)
    assert contract.ends_on > timezone.localdate() and contract.term_count == 2
    assert RenewalOrder.objects.get().status == "renewed"
    with pytest.raises(services.exc.RenewalRefused):
        services.renewal_order_cancel(order_id=order.pk, actor=two_orgs.agent)


def test_every_refusal_of_a_record_carries_an_action(client, two_orgs):
    """No hardware at all: "Ask sales"; a serial out of warranty: "Ask about a warranty
    extension", both opening the free sales department with the record prefilled."""
    from tests.factories import HardwareItemFactory

    vega = Department.objects.get(code="vega-hardware")
    decision = engine.evaluate(contact=two_orgs.ana, department=vega)
    [ask] = [a for a in decision.actions if a.code == "ask_sales"]
    assert ask.url.startswith(reverse("tickets:submit_details", args=["sales-questions"]))
    HardwareItemFactory(serial_number="VEGA-9", organization=two_orgs.ana.organization,
                        product=vega.product,
                        warranty_ends_on=timezone.localdate() - dt.timedelta(days=5))
    decision = engine.evaluate(contact=two_orgs.ana, department=vega)
    [extend] = [a for a in decision.actions if a.code == "extend_warranty"]
    client.force_login(two_orgs.ana)
    html = client.get(extend.url).content.decode()
    assert 'value="VEGA-9"' in html and "Warranty extension for VEGA-9" in html
