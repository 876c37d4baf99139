"""Table-driven tests of the rules engine over every row of support-matrix.md: the
seeded rules match the table, each condition met allows, each condition failed refuses
with its reason, and the date boundaries (ending today = active, ended yesterday =
expired; maintenance at exactly 12 months)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import User
from catalog.models import Department
from credits import services as credits_services
from entitlements import engine
from entitlements import services as ent_services
from entitlements.dates import add_months
from tests.factories import (
    DeploymentFactory,
    HardwareItemFactory,
    OrganizationFactory,
    SupportContractFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

W_REQ, W_NO = "required", "not_checked"
C_REQ, C_NO, C_OFF = "required", "not_required", "not_offered"
USED, FREE = "used", "free"

# department code, warranty, contract, credits, other condition (support-matrix.md)
MATRIX = [
    ("freepbx-appliances", W_REQ, C_NO, FREE, ""),
    ("freepbx-configuration", W_NO, C_REQ, USED, ""),
    ("freepbx-commercial-modules", W_NO, C_NO, FREE, "module"),
    ("pbxact-uc-appliances", W_REQ, C_NO, FREE, ""),
    ("pbxact-uc-bugs", W_NO, C_REQ, FREE, ""),
    ("pbxact-configuration", W_NO, C_REQ, USED, ""),
    ("pbxact-cloud-bugs", W_NO, C_OFF, FREE, ""),
    ("pbxact-ucc-configuration", W_NO, C_OFF, USED, ""),
    ("sipstation-general", W_NO, C_OFF, FREE, ""),
    ("faxstation-general", W_NO, C_OFF, FREE, ""),
    ("sbc-hardware", W_REQ, C_NO, FREE, ""),
    ("sbc-support", W_NO, C_REQ, FREE, ""),
    ("sbc-configuration", W_NO, C_REQ, USED, ""),
    ("vega-hardware", W_REQ, C_NO, FREE, ""),
    ("vega-support", W_NO, C_REQ, FREE, ""),
    ("vega-configuration", W_NO, C_REQ, USED, ""),
    ("phones-hardware", W_REQ, C_OFF, FREE, ""),
    ("phones-support", W_REQ, C_OFF, FREE, "connected"),
    ("cards-hardware", W_REQ, C_OFF, FREE, ""),
    ("cards-service-request", W_NO, C_OFF, FREE, "best_effort"),
    ("sales-questions", W_NO, C_OFF, FREE, ""),
]
ROWS = [pytest.param(*row, id=row[0]) for row in MATRIX]
TODAY = timezone.localdate
DAY = dt.timedelta(days=1)


@dataclass
class Scenario:
    contact: User
    department: Department
    items: dict

    def decide(self, lock=True, **overrides):
        return engine.evaluate(contact=self.contact, department=self.department,
                               lock=lock, **{**self.items, **overrides})


def _scenario(code, warranty, contract, credits, other, *, contract_ends=None,
              warranty_ends=None, module_bought=None, balance=100, connected=True):
    department = Department.objects.select_related("product").get(code=code)
    product = department.product
    org = OrganizationFactory(name=f"Customer of {code}")
    contact = UserFactory(organization=org, role=User.Role.ORG_ADMIN)
    if balance:
        credits_services.ledger_entry_book(
            organization_id=org.pk, kind="purchase" if balance > 0 else "time_debit",
            minutes=balance, idempotency_key="setup")
    items = {}
    deployment = DeploymentFactory(organization=org, product=product)
    if contract == C_REQ:
        ends = contract_ends if contract_ends is not None else TODAY() + 100 * DAY
        SupportContractFactory(deployment=deployment, starts_on=min(ends, TODAY()) - 300 * DAY,
                               ends_on=ends)
        items["deployment"] = deployment
    if warranty == W_REQ:
        items["hardware_item"] = HardwareItemFactory(
            organization=org, product=product,
            warranty_ends_on=warranty_ends if warranty_ends is not None else TODAY() + 100 * DAY,
            connected_deployment=DeploymentFactory(organization=org) if connected else None)
    if other == "module":
        items["module_licence"] = ent_services.module_licence_create(
            deployment=deployment, module_name="EndPoint Manager",
            purchased_on=module_bought or TODAY() - 30 * DAY)
    return Scenario(contact=contact, department=department, items=items)


@pytest.mark.parametrize("code,warranty,contract,credits,other", ROWS)
def test_seeded_rules_match_the_support_matrix(code, warranty, contract, credits, other):
    d = Department.objects.get(code=code)
    assert (d.warranty_rule, d.contract_rule, d.credits_rule) == (warranty, contract, credits)
    assert d.requires_module_maintenance is (other == "module")
    assert d.requires_connected_deployment is (other == "connected")
    assert d.best_effort is (other == "best_effort")


def test_matrix_covers_every_department():
    assert {row[0] for row in MATRIX} == set(Department.objects.values_list("code", flat=True))


@pytest.mark.parametrize("code,warranty,contract,credits,other", ROWS)
def test_every_condition_met_allows(code, warranty, contract, credits, other):
    s = _scenario(code, warranty, contract, credits, other)
    decision = s.decide()
    assert decision.allowed, decision.reasons
    assert decision.reasons == ()
    assert decision.uses_credits is (credits == USED)
    assert decision.balance_minutes == (100 if credits == USED else None)
    assert decision.paying_organization_id == s.contact.organization_id
    assert decision.best_effort is (other == "best_effort")


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[2] == C_REQ])
def test_contract_ending_today_is_active_ended_yesterday_is_expired(code, warranty, contract,
                                                                    credits, other):
    assert _scenario(code, warranty, contract, credits, other,
                     contract_ends=TODAY()).decide().allowed
    decision = _scenario(code, warranty, contract, credits, other,
                         contract_ends=TODAY() - DAY).decide()
    assert not decision.allowed
    assert [r.code for r in decision.reasons] == ["contract_expired"]
    assert [a.code for a in decision.actions] == ["renew_contract"]


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[2] == C_REQ])
def test_contract_required_needs_the_deployment_named(code, warranty, contract, credits, other):
    s = _scenario(code, warranty, contract, credits, other)
    decision = s.decide(deployment=None)
    assert [r.code for r in decision.reasons] == ["deployment_required"]
    # Wizard step 1 (not final): allowed, the deployment still to check.
    step1 = s.decide(lock=False, deployment=None)
    assert step1.allowed and step1.pending_items == ("deployment",)


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[2] != C_REQ])
def test_contract_not_required_or_not_offered_is_not_checked(code, warranty, contract,
                                                             credits, other):
    s = _scenario(code, warranty, contract, credits, other)
    deployment = DeploymentFactory(organization=s.contact.organization,
                                   product=s.department.product)
    SupportContractFactory(deployment=deployment, starts_on=TODAY() - 400 * DAY,
                           ends_on=TODAY() - 30 * DAY)
    assert s.decide(deployment=deployment).allowed


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[1] == W_REQ])
def test_warranty_ending_today_is_valid_ended_yesterday_is_not(code, warranty, contract,
                                                               credits, other):
    assert _scenario(code, warranty, contract, credits, other,
                     warranty_ends=TODAY()).decide().allowed
    decision = _scenario(code, warranty, contract, credits, other,
                         warranty_ends=TODAY() - DAY).decide()
    assert not decision.allowed
    assert [r.code for r in decision.reasons] == ["warranty_expired"]


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[1] == W_REQ])
def test_warranty_required_needs_the_serial_number(code, warranty, contract, credits, other):
    s = _scenario(code, warranty, contract, credits, other)
    assert [r.code for r in s.decide(hardware_item=None).reasons] == ["hardware_required"]
    step1 = s.decide(lock=False, hardware_item=None)
    assert step1.allowed and step1.pending_items == ("hardware",)


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[1] == W_NO])
def test_warranty_not_checked_allows_expired_hardware(code, warranty, contract, credits,
                                                      other):
    s = _scenario(code, warranty, contract, credits, other)
    item = HardwareItemFactory(organization=s.contact.organization,
                               product=s.department.product,
                               warranty_ends_on=TODAY() - 100 * DAY)
    assert s.decide(hardware_item=item).allowed


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[3] == USED])
@pytest.mark.parametrize("balance,reason", [(1, None), (0, "no_credits"), (-5, "overdrawn")])
def test_credits_used_needs_a_positive_balance(code, warranty, contract, credits, other,
                                               balance, reason):
    decision = _scenario(code, warranty, contract, credits, other, balance=balance).decide()
    assert decision.balance_minutes == balance
    if reason is None:
        assert decision.allowed
    else:
        assert not decision.allowed
        assert [r.code for r in decision.reasons] == [reason]
        assert {a.code for a in decision.actions} == {"buy_credits", "redeem_card"}
        assert all(a.url.startswith("/credits/") for a in decision.actions)


@pytest.mark.parametrize("code,warranty,contract,credits,other",
                         [r for r in ROWS if r.values[3] == FREE])
@pytest.mark.parametrize("balance", [0, -5])
def test_free_departments_ignore_the_balance(code, warranty, contract, credits, other, balance):
    decision = _scenario(code, warranty, contract, credits, other, balance=balance).decide()
    assert decision.allowed and not decision.uses_credits
    assert decision.balance_minutes is None


def test_module_maintenance_at_exactly_twelve_months():
    row = MATRIX[2]
    assert _scenario(*row, module_bought=add_months(TODAY(), -12)).decide().allowed
    decision = _scenario(*row, module_bought=add_months(TODAY(), -12) - DAY).decide()
    assert [r.code for r in decision.reasons] == ["maintenance_expired"]
    assert [a.code for a in decision.actions] == ["renew_maintenance"]


def test_module_maintenance_requires_the_module_named():
    s = _scenario(*MATRIX[2])
    assert [r.code for r in s.decide(module_licence=None).reasons] == ["module_required"]
    assert s.decide(lock=False, module_licence=None).pending_items == ("module",)


def test_phone_support_only_for_connected_phones():
    row = MATRIX[17]
    assert row[0] == "phones-support"
    decision = _scenario(*row, connected=False).decide()
    assert [r.code for r in decision.reasons] == ["not_connected"]
    # Hardware (not support) for the same phone does not ask for a connection.
    assert _scenario(*MATRIX[16], connected=False).decide().allowed


def test_every_reason_is_given_at_once():
    s = _scenario("sbc-configuration", W_NO, C_REQ, USED, "", contract_ends=TODAY() - DAY,
                  balance=-1)
    assert [r.code for r in s.decide().reasons] == ["contract_expired", "overdrawn"]


def test_inactive_department_is_refused():
    s = _scenario(*MATRIX[8])
    s.department.is_active = False
    assert [r.code for r in s.decide().reasons] == ["department_closed"]


def test_rules_are_data_staff_can_change():
    s = _scenario(*MATRIX[8])  # SIPStation: free, nothing required
    s.department.credits_rule = Department.Credits.USED
    s.department.save()
    assert s.decide().uses_credits
    credits_services.credit_debit(organization_id=s.contact.organization_id, minutes=100,
                                  idempotency_key="all")
    assert [r.code for r in s.decide().reasons] == ["no_credits"]
