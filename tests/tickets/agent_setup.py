"""Shared set-up of the agent workspace tests: Acme's FreePBX deployment under contract,
its billing responsibility and 420 credits, and the Agents group membership."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group

from credits.models import LedgerEntry
from credits.services import ledger_entry_book
from tests.factories import (
    BillingResponsibilityFactory,
    DeploymentFactory,
    SupportContractFactory,
    TicketFactory,
)
from tickets.models import Ticket


@dataclass
class Paid:
    ticket: Ticket
    deployment: object
    billing: object


def make_agent(user):
    user.groups.add(Group.objects.get(name="Agents"))
    return user


def give_credits(organization, minutes: int = 420, key: str = "purchase-1") -> None:
    ledger_entry_book(organization_id=organization.pk, kind=LedgerEntry.Kind.PURCHASE,
                      minutes=minutes, idempotency_key=key, reason="bundle")


def freepbx_configuration_ticket(two_orgs, *, subject="Trunk down after upgrade") -> Paid:
    acme = two_orgs.acme
    deployment = DeploymentFactory(organization=acme, code="DEP-1001")
    SupportContractFactory(deployment=deployment)
    billing = BillingResponsibilityFactory(organization=acme, code="BR-1001")
    give_credits(acme)
    ticket = TicketFactory.create(requester=two_orgs.maria,
                                  department_code="freepbx-configuration", subject=subject,
                                  deployment=deployment, billing_responsibility=billing)
    return Paid(ticket=ticket, deployment=deployment, billing=billing)
