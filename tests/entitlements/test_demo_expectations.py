"""The expectations at the end of demo-data.md, through the engine."""

import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Department
from entitlements import engine
from entitlements.models import BillingResponsibility, Deployment, HardwareItem, ModuleLicence

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    return {
        "maria": User.objects.get(email="maria@acme.example"),
        "ana": User.objects.get(email="ana@globex.example"),
    }


def _step1(contact):
    return {d.code: decision for d, decision in engine.evaluate_departments(contact=contact)}


def test_ana_may_open_the_free_departments_without_records(demo):
    decisions = _step1(demo["ana"])
    available = {code for code, d in decisions.items() if d.allowed}
    assert available == {"sipstation-general", "faxstation-general", "pbxact-cloud-bugs",
                         "cards-service-request",
                         "sales-questions"}


def test_ana_freepbx_configuration_unavailable_no_contract_no_credits(demo):
    decision = _step1(demo["ana"])["freepbx-configuration"]
    assert not decision.allowed
    assert {r.code for r in decision.reasons} == {"no_contract", "no_credits"}
    assert decision.balance_minutes == 0
    assert {a.code for a in decision.actions} >= {"buy_credits", "redeem_card"}


def test_ana_pbxact_cloud_configuration_unavailable_no_credits(demo):
    decision = _step1(demo["ana"])["pbxact-ucc-configuration"]
    assert not decision.allowed
    assert [r.code for r in decision.reasons] == ["no_credits"]


def test_maria_freepbx_configuration_for_dep_1001_with_420_credits(demo):
    department = Department.objects.get(code="freepbx-configuration")
    decision = engine.evaluate(contact=demo["maria"], department=department,
                               deployment=Deployment.objects.get(code="DEP-1001"),
                               billing_responsibility=BillingResponsibility.objects.get(
                                   code="BR-1001"), lock=True)
    assert decision.allowed, decision.reasons
    assert decision.uses_credits
    assert decision.balance_minutes == 420
    assert decision.paying_organization_id == demo["maria"].organization_id
    step1 = _step1(demo["maria"])["freepbx-configuration"]
    assert step1.allowed and step1.pending_items == ("deployment",)
    assert step1.balance_minutes == 420


def test_maria_pbxact_configuration_for_dep_2001_contract_expired(demo):
    department = Department.objects.get(code="pbxact-configuration")
    decision = engine.evaluate(contact=demo["maria"], department=department,
                               deployment=Deployment.objects.get(code="DEP-2001"))
    assert not decision.allowed
    assert [(r.code, r.item) for r in decision.reasons] == [("contract_expired", "DEP-2001")]
    assert "DEP-2001" in decision.reasons[0].message
    assert [a.code for a in decision.actions] == ["renew_contract"]
    assert "DEP-2001" in decision.actions[0].label
    # At step 1 already: DEP-2001 is her only PBXact UC deployment.
    assert not _step1(demo["maria"])["pbxact-configuration"].allowed


def test_maria_sbc_hardware_available_for_sbc_0001(demo):
    department = Department.objects.get(code="sbc-hardware")
    decision = engine.evaluate(contact=demo["maria"], department=department,
                               hardware_item=HardwareItem.objects.get(serial_number="SBC-0001"))
    assert decision.allowed and not decision.uses_credits


def test_maria_vega_hardware_unavailable_for_vega_0002(demo):
    department = Department.objects.get(code="vega-hardware")
    decision = engine.evaluate(contact=demo["maria"], department=department,
                               hardware_item=HardwareItem.objects.get(serial_number="VEGA-0002"))
    assert not decision.allowed
    assert [(r.code, r.item) for r in decision.reasons] == [("warranty_expired", "VEGA-0002")]


@pytest.mark.parametrize("module,allowed", [("EndPoint Manager", True),
                                            ("Call Recording Reports", False)])
def test_maria_commercial_modules(demo, module, allowed):
    department = Department.objects.get(code="freepbx-commercial-modules")
    licence = ModuleLicence.objects.get(module_name=module)
    decision = engine.evaluate(contact=demo["maria"], department=department,
                               module_licence=licence)
    assert decision.allowed is allowed
    if not allowed:
        assert [r.code for r in decision.reasons] == ["maintenance_expired"]


def test_maria_phone_support_for_connected_phone(demo):
    department = Department.objects.get(code="phones-support")
    decision = engine.evaluate(contact=demo["maria"], department=department,
                               hardware_item=HardwareItem.objects.get(serial_number="PHONE-0003"))
    assert decision.allowed


@pytest.mark.parametrize("contact_language,request_language", [("en", "es"), ("es", "en")])
def test_reasons_are_in_the_contacts_language(demo, contact_language, request_language):
    from django.utils import translation

    from entitlements import messages

    ana = demo["ana"]
    ana.language = contact_language
    ana.save()
    with translation.override(request_language):
        decision = _step1(ana)["pbxact-ucc-configuration"]
    with translation.override(contact_language):
        expected = str(messages.NO_CREDITS) % {"org": "Globex Networks"}
    assert decision.reasons[0].message == expected


def test_load_demo_is_idempotent(demo):
    from credits.models import LedgerEntry
    from tickets.models import Message, Ticket

    before = LedgerEntry.objects.count()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert LedgerEntry.objects.count() == before == 3  # Acme: bundle + grant; Initech: grant
    assert Ticket.objects.count() == 2 and Message.objects.count() == 2
    call_command("check_ledger", stdout=open("/dev/null", "w"))


def test_wizard_step1_costs_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        decisions = engine.evaluate_departments(contact=demo["maria"])
    assert len(decisions) == Department.objects.count()
