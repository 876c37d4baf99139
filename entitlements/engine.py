"""The entitlement rules engine: may this contact open a ticket in this department?

`evaluate` is the one function the submit wizard and ticket_create ask. The rules come
from the department's data only (catalog.Department: warranty_rule, contract_rule,
credits_rule, requires_module_maintenance, requires_connected_deployment), so staff change
them in the admin without code.

Called without the item (wizard step 1) it decides what can already be decided and, when
the contact holds at least one record that could qualify, answers allowed=True with the
item still to check in `pending_items`. Called with lock=True (the final decision inside
the transaction that creates the ticket) every item the rules need must be named, and the
paying organization's credit account row is locked while the decision is taken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from catalog.models import Department
from credits.models import CreditAccount
from credits.selectors import suggested_bundle_minutes

from . import messages as M
from .context import Context

DEPLOYMENT, HARDWARE, MODULE = "deployment", "hardware", "module"
BILLING = "billing_responsibility"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    item: str = ""  # the record it is about (DEP-2001, VEGA-0002, …), if any


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    url: str = ""
    method: str = "get"  # "post": the fix changes something (a form button, not a link)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    actions: tuple[Action, ...] = ()
    uses_credits: bool = False
    balance_minutes: int | None = None
    paying_organization_id: int | None = None
    extra: dict = field(default_factory=dict)
    # Items the rules still have to check once named (wizard step 1): deployment/hardware/module.
    pending_items: tuple[str, ...] = ()
    best_effort: bool = False
    # The plan of the named deployment's contract active on the day (service levels).
    contract_plan_id: int | None = None


def needed_items(department: Department) -> tuple[str, ...]:
    """Which record a department's rules check."""
    items = []
    if department.contract_rule == Department.Contract.REQUIRED:
        items.append(DEPLOYMENT)
    if (department.warranty_rule == Department.Warranty.REQUIRED
            or department.requires_connected_deployment):
        items.append(HARDWARE)
    if department.requires_module_maintenance:
        items.append(MODULE)
    return tuple(items)


class _Builder:
    """Collects reasons and actions (deduplicated, in order) while the rules run."""

    def __init__(self):
        self.reasons: list[Reason] = []
        self.actions: list[Action] = []

    def reason(self, code: str, message, item: str = "", /, **params) -> None:
        text = str(message) % params if params else str(message)
        if not any(r.code == code and r.item == item for r in self.reasons):
            self.reasons.append(Reason(code=code, message=text, item=item))

    def action(self, code: str, label, url: str = "", /, method: str = "get", **params) -> None:
        text = str(label) % params if params else str(label)
        if not any(a.code == code and a.label == text for a in self.actions):
            self.actions.append(Action(code=code, label=text, url=url, method=method))


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# --- rules on one named record ------------------------------------------------------------

def _contract_qualifies(ctx: Context, b: _Builder, deployment) -> bool:
    """True when the deployment has an active contract on the day; else False, with the
    reasons and actions added to `b`."""
    contracts = ctx.contracts_of(deployment)
    if any(c.starts_on <= ctx.day <= c.ends_on for c in contracts):
        return True
    future = [c for c in contracts if c.starts_on > ctx.day]
    past = [c for c in contracts if c.ends_on < ctx.day]
    if future:
        b.reason("contract_not_started", M.CONTRACT_NOT_STARTED, deployment.code,
                 deployment=deployment.code, date=_date(min(c.starts_on for c in future)))
    elif past:
        b.reason("contract_expired", M.CONTRACT_EXPIRED, deployment.code,
                 deployment=deployment.code, date=_date(max(c.ends_on for c in past)))
        if ctx.contact_is_admin:  # orders the renewal (staff see a renewal order)
            b.action("renew_contract", M.RENEW_CONTRACT,
                     reverse("entitlements:renewal_request", args=[deployment.code]),
                     method="post", deployment=deployment.code)
        else:
            b.action("renew_contract", M.RENEW_CONTRACT,
                     ctx.sales_url(topic="renew_contract", about=deployment.code),
                     deployment=deployment.code)
    else:
        b.reason("no_contract", M.CONTRACT_NONE, deployment.code, deployment=deployment.code)
        b.action("buy_contract", M.BUY_CONTRACT,
                 ctx.sales_url(topic="buy_contract", about=deployment.code),
                 product=deployment.product.name)
    return False


def _hardware_qualifies(ctx: Context, b: _Builder, department, item) -> bool:
    """True when the item meets the department's warranty and connection rules; else
    False, with the reasons added to `b`."""
    ok = True
    if department.warranty_rule == Department.Warranty.REQUIRED:
        if item.warranty_ends_on is None:
            b.reason("no_warranty", M.WARRANTY_UNKNOWN, item.serial_number,
                     serial=item.serial_number)
            b.action("extend_warranty", M.EXTEND_WARRANTY,
                     ctx.sales_url(topic="extend_warranty", about=item.serial_number),
                     serial=item.serial_number)
            ok = False
        elif item.warranty_ends_on < ctx.day:
            b.reason("warranty_expired", M.WARRANTY_EXPIRED, item.serial_number,
                     serial=item.serial_number, date=_date(item.warranty_ends_on))
            b.action("extend_warranty", M.EXTEND_WARRANTY,
                     ctx.sales_url(topic="extend_warranty", about=item.serial_number),
                     serial=item.serial_number)
            ok = False
    if department.requires_connected_deployment and item.connected_deployment_id is None:
        b.reason("not_connected", M.NOT_CONNECTED, item.serial_number, serial=item.serial_number)
        ok = False
    return ok


def _module_qualifies(ctx: Context, b: _Builder, licence) -> bool:
    """True while the module is under maintenance; else False, with the reasons in `b`."""
    if licence.maintenance_ends_on >= ctx.day:
        return True
    b.reason("maintenance_expired", M.MAINTENANCE_EXPIRED, licence.deployment.code,
             module=licence.module_name, deployment=licence.deployment.code,
             date=_date(licence.maintenance_ends_on))
    b.action("renew_maintenance", M.RENEW_MAINTENANCE,
             ctx.sales_url(topic="renew_maintenance",
                           about=f"{licence.module_name} ({licence.deployment.code})"),
             module=licence.module_name)
    return False


# --- rules per item kind ------------------------------------------------------------------

def _check_deployment(ctx, b, department, deployment, pending) -> None:
    product = department.product
    if deployment is not None:
        if deployment.organization_id not in ctx.org_ids:
            b.reason("deployment_unknown", M.DEPLOYMENT_UNKNOWN, deployment.code,
                     deployment=deployment.code)
        elif deployment.product_id != product.pk:
            b.reason("deployment_wrong_product", M.DEPLOYMENT_WRONG_PRODUCT, deployment.code,
                     deployment=deployment.code, product=product.name)
        elif DEPLOYMENT in needed_items(department):
            _contract_qualifies(ctx, b, deployment)
        return
    if DEPLOYMENT not in needed_items(department):
        return

    def none_owned():
        b.reason("no_contract", M.NO_CONTRACT_ANY, product=product.name)
        b.action("buy_contract", M.BUY_CONTRACT, ctx.sales_url(topic="buy_contract"),
                 product=product.name)

    _check_candidates(ctx, b, pending, kind=DEPLOYMENT, required=M.DEPLOYMENT_REQUIRED,
                      candidates=lambda: ctx.deployments_of(product),
                      qualifies=lambda trial, d: _contract_qualifies(ctx, trial, d),
                      none_owned=none_owned)


def _check_hardware(ctx, b, department, item, pending) -> None:
    product = department.product
    if item is not None:
        if item.organization_id not in ctx.org_ids:
            b.reason("hardware_unknown", M.HARDWARE_UNKNOWN, item.serial_number,
                     serial=item.serial_number)
        elif item.product_id != product.pk:
            b.reason("hardware_wrong_product", M.HARDWARE_WRONG_PRODUCT, item.serial_number,
                     serial=item.serial_number, product=product.name)
        else:
            _hardware_qualifies(ctx, b, department, item)
        return
    if HARDWARE not in needed_items(department):
        return
    _check_candidates(ctx, b, pending, kind=HARDWARE, required=M.HARDWARE_REQUIRED,
                      candidates=lambda: ctx.hardware_of(product),
                      qualifies=lambda trial, h: _hardware_qualifies(ctx, trial, department, h),
                      none_owned=lambda: _none_under_warranty(ctx, b, product))


def _none_under_warranty(ctx, b, product) -> None:
    b.reason("no_warranty", M.NO_WARRANTY_ANY, product=product.name)
    b.action("ask_sales", M.ASK_SALES, ctx.sales_url(topic="ask_sales"))


def _check_module(ctx, b, department, licence, pending) -> None:
    product = department.product
    if licence is not None:
        if licence.deployment.organization_id not in ctx.org_ids:
            b.reason("module_unknown", M.MODULE_UNKNOWN)
        elif licence.deployment.product_id != product.pk:
            b.reason("module_wrong_product", M.MODULE_WRONG_PRODUCT, licence.deployment.code,
                     module=licence.module_name, product=product.name)
        elif department.requires_module_maintenance:
            _module_qualifies(ctx, b, licence)
        return
    if MODULE not in needed_items(department):
        return
    _check_candidates(ctx, b, pending, kind=MODULE, required=M.MODULE_REQUIRED,
                      candidates=lambda: ctx.modules_of(product),
                      qualifies=lambda trial, m: _module_qualifies(ctx, trial, m),
                      none_owned=lambda: b.reason("no_maintenance", M.NO_MAINTENANCE_ANY,
                                                  product=product.name))


def _check_candidates(ctx, b, pending, *, kind, required, candidates, qualifies,
                      none_owned) -> None:
    """No item named yet. Finally (inside ticket_create) that is a refusal; at wizard
    step 1 the department stays open while any of the contact's records qualifies (the
    item is then still to be chosen); otherwise every record's problems are the reasons."""
    if ctx.final:
        b.reason(f"{kind}_required", required)
        return
    owned = candidates()
    trial = _Builder()
    if any(qualifies(trial, item) for item in owned):
        pending.append(kind)
        return
    if not owned:
        none_owned()
    b.reasons.extend(trial.reasons)
    b.actions.extend(trial.actions)


def _check_credits(ctx, b, department, paying_org_id, chosen: bool, pending) -> int | None:
    """The paying organization's balance when the department uses credits.

    Before a reseller's contact has chosen whose credits pay (step 1), a customer with a
    Billing Responsibility ID and a positive balance keeps the department available.
    """
    if not department.uses_credits:
        return None
    balance = ctx.balance_of(paying_org_id)
    if balance > 0:
        return balance
    if not chosen and not ctx.final and any(
            ctx.balance_of(org_id) > 0 for org_id in ctx.billing_organization_ids
            if org_id != paying_org_id):
        pending.append(BILLING)
        return balance
    org = ctx.organization_name(paying_org_id)
    if balance < 0:
        b.reason("overdrawn", M.OVERDRAWN, org=org, balance=balance)
    else:
        b.reason("no_credits", M.NO_CREDITS, org=org)
    if ctx.contact_is_admin:
        page = reverse("credits:page")
        bundle = suggested_bundle_minutes(balance_minutes=balance)
        b.action("buy_credits", M.BUY_CREDITS, f"{page}?bundle={bundle}#buy")
        b.action("redeem_card", M.REDEEM_CARD, f"{page}#redeem")
    else:
        b.action("ask_admin", M.ASK_ADMIN_CREDITS, org=org)
    return balance


def _paying_organization(ctx, b, billing_responsibility) -> int:
    if billing_responsibility is None:
        return ctx.contact.organization_id
    if billing_responsibility.organization_id not in ctx.org_ids:
        b.reason("billing_unknown", M.BILLING_UNKNOWN, billing_responsibility.code,
                 billing_id=billing_responsibility.code)
        return ctx.contact.organization_id
    return billing_responsibility.organization_id


def _active_plan_id(ctx: Context, deployment, department) -> int | None:
    if (deployment is None or deployment.organization_id not in ctx.org_ids
            or deployment.product_id != department.product_id):
        return None
    active = [c for c in ctx.contracts_of(deployment) if c.starts_on <= ctx.day <= c.ends_on]
    return max(active, key=lambda c: c.ends_on).plan_id if active else None


def _decide(ctx: Context, department, deployment, hardware_item, module_licence,
            billing_responsibility) -> Decision:
    b = _Builder()
    if not (department.is_active and department.product.is_active):
        b.reason("department_closed", M.DEPARTMENT_CLOSED)
    if not ctx.contact or not getattr(ctx.contact, "organization_id", None):
        b.reason("no_organization", M.NO_ORGANIZATION)
        return Decision(allowed=False, reasons=tuple(b.reasons),
                        uses_credits=department.uses_credits)
    paying = _paying_organization(ctx, b, billing_responsibility)
    if ctx.lock and department.uses_credits:
        CreditAccount.objects.select_for_update().filter(organization_id=paying).first()
    pending: list[str] = []
    _check_deployment(ctx, b, department, deployment, pending)
    _check_hardware(ctx, b, department, hardware_item, pending)
    _check_module(ctx, b, department, module_licence, pending)
    balance = _check_credits(ctx, b, department, paying, billing_responsibility is not None,
                             pending)
    return Decision(
        allowed=not b.reasons, reasons=tuple(b.reasons), actions=tuple(b.actions),
        uses_credits=department.uses_credits, balance_minutes=balance,
        paying_organization_id=paying, pending_items=tuple(pending) if not b.reasons else (),
        best_effort=department.best_effort,
        contract_plan_id=_active_plan_id(ctx, deployment, department) if not b.reasons else None,
    )


def _language(contact) -> str:
    return getattr(contact, "language", "") or translation.get_language() or settings.LANGUAGE_CODE


def evaluate(*, contact, department, deployment=None, hardware_item=None, module_licence=None,
             billing_responsibility=None, at: dt.datetime | None = None,
             lock: bool = False, language: str | None = None) -> Decision:
    """The decision for one department; messages in the contact's language, or in
    `language` (an agent deciding for the contact reads them in theirs)."""
    ctx = Context(contact=contact, at=at or timezone.now(), lock=lock)
    with translation.override(language or _language(contact)):
        return _decide(ctx, department, deployment, hardware_item, module_licence,
                       billing_responsibility)


def evaluate_departments(*, contact, departments=None, at: dt.datetime | None = None
                         ) -> list[tuple[Department, Decision]]:
    """Wizard step 1: every active department with its decision, with shared look-ups
    (a fixed number of queries whatever the number of departments)."""
    if departments is None:
        departments = Department.objects.filter(is_active=True, product__is_active=True)
    departments = list(departments.select_related("product")
                       if hasattr(departments, "select_related") else departments)
    ctx = Context(contact=contact, at=at or timezone.now(), lock=False)
    with translation.override(_language(contact)):
        return [(d, _decide(ctx, d, None, None, None, None)) for d in departments]


@dataclass(frozen=True)
class ItemDecision:
    """The decision for one of the contact's records in a department (wizard: shown before
    the customer writes anything, so that an expired module or serial is never chosen)."""
    kind: str
    record: object
    decision: Decision


_ITEM_KWARGS = {DEPLOYMENT: "deployment", HARDWARE: "hardware_item", MODULE: "module_licence"}


def _records_of(ctx: Context, kind: str, product) -> list:
    return {DEPLOYMENT: ctx.deployments_of, HARDWARE: ctx.hardware_of,
            MODULE: ctx.modules_of}[kind](product)


def _item_decisions(ctx: Context, department, decision: Decision) -> list[ItemDecision]:
    found = []
    for kind in decision.pending_items:
        if kind not in _ITEM_KWARGS:
            continue
        for record in _records_of(ctx, kind, department.product):
            items = {"deployment": None, "hardware_item": None, "module_licence": None,
                     _ITEM_KWARGS[kind]: record}
            found.append(ItemDecision(kind=kind, record=record, decision=_decide(
                ctx, department, items["deployment"], items["hardware_item"],
                items["module_licence"], None)))
    return found


def evaluate_items(*, contact, department, decision: Decision,
                   at: dt.datetime | None = None) -> list[ItemDecision]:
    """Each record still to be chosen (decision.pending_items) with its own decision."""
    ctx = Context(contact=contact, at=at or timezone.now(), lock=False)
    with translation.override(_language(contact)):
        return _item_decisions(ctx, department, decision)


def evaluate_catalogue(*, contact, departments, at: dt.datetime | None = None
                       ) -> list[tuple[Department, Decision, list[ItemDecision]]]:
    """evaluate_departments, plus each pending record's decision, with shared look-ups."""
    departments = list(departments.select_related("product")
                       if hasattr(departments, "select_related") else departments)
    ctx = Context(contact=contact, at=at or timezone.now(), lock=False)
    with translation.override(_language(contact)):
        decided = [(d, _decide(ctx, d, None, None, None, None)) for d in departments]
        return [(d, decision, _item_decisions(ctx, d, decision)) for d, decision in decided]
