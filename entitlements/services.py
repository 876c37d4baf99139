"""Business actions on entitlements: contracts (with their credit grants), renewals,
module maintenance and contract reminders. The only code that writes these models."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from credits import services as credits_services

from . import exceptions as exc
from . import selectors, signals
from .dates import add_months
from .models import (
    ContractPlan,
    Deployment,
    HardwareItem,
    ModuleLicence,
    RenewalOrder,
    SupportContract,
)

REMINDER_DAYS = (30, 7)


def _grant_term(*, contract: SupportContract, actor) -> None:
    credits_services.credit_contract_grant(
        organization_id=contract.deployment.organization_id,
        minutes=contract.plan.included_credits_minutes, contract_id=contract.pk,
        term_number=contract.term_count, actor=actor,
        reason=f"{contract.plan.name} — {contract.deployment.code} "
               f"({contract.starts_on} – {contract.ends_on})",
        reason_params={"plan": contract.plan.name, "deployment": contract.deployment.code})


def contract_create(*, deployment: Deployment, plan: ContractPlan, starts_on: dt.date,
                    actor=None, ends_on: dt.date | None = None,
                    grant_credits: bool = True) -> SupportContract:
    """A new contract for one deployment; its first term's credits are granted once."""
    ends_on = ends_on or add_months(starts_on, plan.term_months) - dt.timedelta(days=1)
    with transaction.atomic():
        contract = SupportContract.objects.create(deployment=deployment, plan=plan,
                                                  starts_on=starts_on, ends_on=ends_on)
        if grant_credits:
            _grant_term(contract=contract, actor=actor)
    return contract


def contract_renew(*, contract_id: int, actor=None, today: dt.date | None = None
                   ) -> SupportContract:
    """Add one term. A lapsed contract restarts today; each term's credits are granted
    once (key contract:<id>:term:<n>)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        contract = (SupportContract.objects.select_for_update()
                    .select_related("plan", "deployment").get(pk=contract_id))
        base = contract.ends_on
        if base < today - dt.timedelta(days=1):
            base = today - dt.timedelta(days=1)
        contract.ends_on = add_months(base + dt.timedelta(days=1),
                                      contract.plan.term_months) - dt.timedelta(days=1)
        contract.term_count += 1
        contract.save(update_fields=["ends_on", "term_count"])
        _grant_term(contract=contract, actor=actor)
        signals.contract_renewed.send(sender=SupportContract, contract_id=contract.pk,
                                      deployment_id=contract.deployment_id,
                                      plan_id=contract.plan_id, actor=actor, today=today)
    return contract


def hardware_item_register(*, organization_id: int, product, serial_number: str,
                           model_name: str = "", warranty_ends_on: dt.date | None = None,
                           connected_deployment: Deployment | None = None) -> HardwareItem:
    """A unit sold to an organization, with the end of its warranty (the billing system)."""
    return HardwareItem.objects.create(
        organization_id=organization_id, product=product,
        serial_number=serial_number.strip(), model_name=model_name.strip(),
        warranty_ends_on=warranty_ends_on, connected_deployment=connected_deployment)


def module_licence_create(*, deployment: Deployment, module_name: str,
                          purchased_on: dt.date) -> ModuleLicence:
    """A module purchase includes 12 months of maintenance at no charge."""
    return ModuleLicence.objects.create(deployment=deployment, module_name=module_name,
                                        purchased_on=purchased_on,
                                        maintenance_ends_on=add_months(purchased_on, 12))


def module_maintenance_renew(*, licence_id: int, months: int = 12,
                             today: dt.date | None = None) -> ModuleLicence:
    """Extend maintenance by `months` from its end (or from today when it has lapsed)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        licence = ModuleLicence.objects.select_for_update().get(pk=licence_id)
        base = max(licence.maintenance_ends_on, today)
        licence.maintenance_ends_on = add_months(base, months)
        licence.save(update_fields=["maintenance_ends_on"])
    return licence


def contract_reminder_due(*, contract: SupportContract, today: dt.date) -> int | None:
    """Which reminder (30 or 7 days) is due and not yet sent for this end date."""
    days_left = (contract.ends_on - today).days
    if days_left < 0:
        return None
    if days_left <= 7:
        return 7 if contract.reminder_7_sent_for != contract.ends_on else None
    if days_left <= 30:
        return 30 if contract.reminder_30_sent_for != contract.ends_on else None
    return None


def contract_reminder_email(*, contract_id: int, days: int, ends_on: dt.date) -> int:
    """Record the reminder email for each of the organization's admins, in the caller's
    transaction (the outbox sends each once, after commit)."""
    from credits import notices

    contract = (SupportContract.objects.select_related("deployment__organization", "plan")
                .filter(pk=contract_id).first())
    if contract is None:
        return 0
    context = {"contract": contract, "deployment": contract.deployment, "days": days,
               "ends_on": ends_on, "organization": contract.deployment.organization}
    return notices.record_to_admins(organization_id=contract.deployment.organization_id,
                                    template="entitlements/mail/contract_reminder",
                                    context=context, kind=f"contract_reminder_{days}")


def contract_reminder_send(*, contract_id: int, today: dt.date | None = None) -> int | None:
    """Send the due reminder once (state checked and set under a row lock); its emails are
    recorded in the same transaction (outbox). Returns the reminder sent (30 or 7) or None."""
    today = today or timezone.localdate()
    with transaction.atomic():
        contract = (SupportContract.objects.select_for_update()
                    .select_related("deployment", "deployment__organization", "plan")
                    .get(pk=contract_id))
        due = contract_reminder_due(contract=contract, today=today)
        if due is None:
            return None
        contract.reminder_30_sent_for = contract.ends_on  # a 7-day one supersedes the 30
        if due == 7:
            contract.reminder_7_sent_for = contract.ends_on
        contract.save(update_fields=["reminder_30_sent_for", "reminder_7_sent_for"])
        contract_reminder_email(contract_id=contract.pk, days=due, ends_on=contract.ends_on)
    return due


def contracts_needing_reminder(*, today: dt.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    window = SupportContract.objects.filter(ends_on__gte=today,
                                            ends_on__lte=today + dt.timedelta(days=30))
    return [c.pk for c in window if contract_reminder_due(contract=c, today=today)]


# --- renewal orders (the wizard's "Renew the support contract of DEP-…" fix) --------------

def renewal_order_request(*, deployment_code: str, actor) -> tuple[RenewalOrder, bool]:
    """An organization admin orders the renewal of a deployment's latest contract, at the
    plan's price if set. Returns (order, created): a pending order for the deployment is
    returned as it is. A deployment the actor may not see is Deployment.DoesNotExist."""
    if not getattr(actor, "is_org_admin", False):
        raise exc.RenewalRefused(exc.RENEWAL_NOT_ALLOWED)
    deployment = Deployment.objects.get(
        code=deployment_code,
        organization_id__in=selectors.visible_organization_ids(contact=actor))
    with transaction.atomic():
        Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        pending = RenewalOrder.objects.filter(deployment=deployment,
                                              status=RenewalOrder.Status.PENDING).first()
        if pending is not None:
            return pending, False
        contract = (SupportContract.objects.filter(deployment=deployment)
                    .select_related("plan").order_by("-ends_on", "-id").first())
        if contract is None:
            raise exc.RenewalRefused(exc.RENEWAL_NO_CONTRACT)
        order = RenewalOrder.objects.create(
            contract=contract, deployment=deployment, plan=contract.plan,
            price=contract.plan.price, currency=contract.plan.currency, requested_by=actor)
    return order, True


def _renewal_order_decide(*, order_id: int, actor, status: str) -> RenewalOrder:
    with transaction.atomic():
        order = RenewalOrder.objects.select_for_update().get(pk=order_id)
        if order.status != RenewalOrder.Status.PENDING:
            raise exc.RenewalRefused(exc.RENEWAL_NOT_PENDING)
        if status == RenewalOrder.Status.RENEWED:
            contract_renew(contract_id=order.contract_id, actor=actor)
        order.status, order.decided_by, order.decided_at = status, actor, timezone.now()
        order.save(update_fields=["status", "decided_by", "decided_at"])
    return order


def renewal_order_complete(*, order_id: int, actor) -> RenewalOrder:
    """Paid: the contract gains one term (its credits granted once) and the order is done."""
    return _renewal_order_decide(order_id=order_id, actor=actor,
                                 status=RenewalOrder.Status.RENEWED)


def renewal_order_cancel(*, order_id: int, actor) -> RenewalOrder:
    return _renewal_order_decide(order_id=order_id, actor=actor,
                                 status=RenewalOrder.Status.CANCELLED)
