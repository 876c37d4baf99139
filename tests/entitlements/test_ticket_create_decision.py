"""The decision is taken again inside the transaction that creates the ticket."""

import datetime as dt

import pytest
from django.utils import timezone

from credits import services as credits_services
from entitlements.models import BillingResponsibility, Deployment, HardwareItem, SupportContract
from tests.factories import TicketFactory
from tests.factories.credits import book
from tickets import exceptions as ticket_exc
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(two_orgs):
    from django.core.management import call_command

    call_command("load_demo", stdout=open("/dev/null", "w"))
    two_orgs.maria.refresh_from_db()
    return two_orgs


def _config_ticket(contact, **kwargs):
    return TicketFactory.create(
        requester=contact, department_code="freepbx-configuration",
        deployment=Deployment.objects.get(code="DEP-1001"),
        billing_responsibility=BillingResponsibility.objects.get(code="BR-1001"), **kwargs)


def test_paid_ticket_is_opened_and_keeps_who_pays(acme):
    ticket = _config_ticket(acme.maria)
    assert ticket.paying_organization_id == acme.acme.pk
    assert ticket.deployment.code == "DEP-1001"


def test_overdrawn_balance_blocks_new_paid_tickets_until_positive(acme):
    credits_services.credit_debit(organization_id=acme.acme.pk, minutes=430,
                                  idempotency_key="big job")
    with pytest.raises(ticket_exc.DepartmentUnavailable) as caught:
        _config_ticket(acme.maria)
    assert [r.code for r in caught.value.decision.reasons] == ["overdrawn"]
    assert "-10" in caught.value.messages[0]
    # Free departments stay open.
    TicketFactory.create(requester=acme.maria, department_code="sipstation-general")
    book(acme.acme, 120)
    assert _config_ticket(acme.maria).pk


def test_expired_contract_refused_whatever_the_request_says(acme):
    before = Ticket.objects.count()
    with pytest.raises(ticket_exc.DepartmentUnavailable) as caught:
        TicketFactory.create(requester=acme.maria, department_code="pbxact-configuration",
                             deployment=Deployment.objects.get(code="DEP-2001"),
                             billing_responsibility=BillingResponsibility.objects.get(
                                 code="BR-1001"))
    assert [r.code for r in caught.value.decision.reasons] == ["contract_expired"]
    assert "DEP-2001" in caught.value.messages[0]
    assert Ticket.objects.count() == before


def test_contract_expiring_between_step1_and_submit_is_caught(acme):
    SupportContract.objects.filter(deployment__code="DEP-1001").update(
        ends_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ticket_exc.DepartmentUnavailable):
        _config_ticket(acme.maria)


def test_other_organizations_hardware_cannot_be_named(acme):
    with pytest.raises(ticket_exc.DepartmentUnavailable):
        TicketFactory.create(requester=acme.ana, department_code="sbc-hardware",
                             hardware_item=HardwareItem.objects.get(serial_number="SBC-0001"))
