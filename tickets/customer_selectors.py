"""Reads of the customer site's submit wizard: the catalogue with each department's
entitlement decision, and the records a contact may pick in a department's fields.

The decision always comes from `entitlements.engine` (evaluate / evaluate_departments),
which alone knows the rules; nothing here decides who may open what.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from catalog import selectors as catalog_selectors
from catalog.models import Department, DepartmentField, Product
from entitlements import engine
from entitlements.models import BillingResponsibility, Deployment, HardwareItem, ModuleLicence


@dataclass(frozen=True)
class DepartmentChoice:
    department: Department
    decision: engine.Decision
    items: tuple[engine.ItemDecision, ...] = ()


@dataclass(frozen=True)
class ProductGroup:
    product: Product
    departments: list[DepartmentChoice]

    @property
    def available_count(self) -> int:
        return sum(1 for choice in self.departments if choice.decision.allowed)


def department_catalogue(*, contact) -> list[ProductGroup]:
    """Every active department grouped by product, each with the engine's decision for
    this contact (asked without an item: step 1 of the wizard), in a fixed number of
    queries whatever the number of departments."""
    departments = (Department.objects.filter(is_active=True, product__is_active=True)
                   .select_related("product").order_by("product__position", "product__code",
                                                       "position", "code"))
    groups: dict[int, ProductGroup] = {}
    for department, decision, items in engine.evaluate_catalogue(contact=contact,
                                                                 departments=departments):
        group = groups.setdefault(department.product_id,
                                  ProductGroup(product=department.product, departments=[]))
        group.departments.append(DepartmentChoice(department=department, decision=decision,
                                                  items=tuple(items)))
    return list(groups.values())


def department_get_for_submit(*, code: str) -> Department:
    department = catalog_selectors.department_submittable(code=code)
    if department is None:
        raise Http404
    return department


def department_fields(*, department: Department) -> list[DepartmentField]:
    return catalog_selectors.department_fields(department=department)


def record_organization_ids(*, contact) -> list[int]:
    """The contact's organization, plus its customers when it is a reseller."""
    if contact.organization_id is None:
        return []
    customer_ids = list(contact.organization.customers.values_list("pk", flat=True))
    return [contact.organization_id, *customer_ids]


def contact_records(*, contact, kind: str, department: Department) -> QuerySet:
    """What the contact may choose for a record field of this department."""
    org_ids = record_organization_ids(contact=contact)
    product_id = department.product_id
    if kind == DepartmentField.Kind.DEPLOYMENT:
        return (Deployment.objects.filter(organization_id__in=org_ids, product_id=product_id)
                .select_related("organization").order_by("code"))
    if kind == DepartmentField.Kind.HARDWARE:
        return (HardwareItem.objects.filter(organization_id__in=org_ids, product_id=product_id)
                .select_related("organization").order_by("serial_number"))
    if kind == DepartmentField.Kind.MODULE:
        return (ModuleLicence.objects
                .filter(deployment__organization_id__in=org_ids,
                        deployment__product_id=product_id)
                .select_related("deployment__organization")
                .order_by("deployment__code", "module_name"))
    if kind == DepartmentField.Kind.BILLING_RESPONSIBILITY:
        return (BillingResponsibility.objects.filter(organization_id__in=org_ids)
                .select_related("organization").order_by("code"))
    raise ValueError(f"Not a record kind: {kind!r}")


def tickets_filtered(tickets: QuerySet, *, text: str = "", status: str = "",
                     since=None, until=None) -> QuerySet:
    """My Tickets' search: subject, ticket number, or the text of a message the customer
    can see (never an internal note); a status; a range of creation dates."""
    from django.db.models import Exists, OuterRef, Q

    from .models import Message, Ticket
    from .numbers import number_parse

    text = " ".join(text.split())[:200]
    if text:
        number = number_parse(text)
        in_messages = Message.objects.filter(
            ticket=OuterRef("pk"), kind__in=Message.CUSTOMER_VISIBLE_KINDS,
            body__icontains=text)
        match = Q(subject__icontains=text) | Exists(in_messages)
        tickets = tickets.filter(match | Q(number=number) if number else match)
    if status in Ticket.Status.values:
        tickets = tickets.filter(status=status)
    if since is not None:
        tickets = tickets.filter(created_at__date__gte=since)
    if until is not None:
        tickets = tickets.filter(created_at__date__lte=until)
    return tickets


HISTORY_KINDS = ("created", "resolved", "reopened", "participant_added", "participant_removed",
                 "status_changed", "department_changed", "message_added", "time_logged",
                 "credits_refunded", "merged", "merged_from")


def reply_aim_text(*, ticket) -> str:
    """"We aim to reply by Tuesday 16:30 your time" while a reply is owed with a target, in
    the active language and time zone (the contact's); "" otherwise."""
    from django.utils import dateformat
    from django.utils import timezone as tz
    from django.utils.translation import gettext

    due = ticket.response_due_at
    if due is None or ticket.status == ticket.Status.RESOLVED:
        return ""
    local_due = tz.localtime(due)
    days_ahead = (local_due.date() - tz.localdate()).days
    when = dateformat.format(local_due, "l H:i" if 0 <= days_ahead < 6 else "l j F Y, H:i")
    return gettext("We aim to reply by %(when)s your time.") % {"when": when}


def ticket_events_for_contact(*, ticket) -> list:
    """The audit events a customer may see on the ticket page, oldest first (told by
    tickets.history.ticket_timeline, without internals: an agent's reason for a move is
    never shown)."""
    return list(ticket.events.filter(kind__in=HISTORY_KINDS).select_related("actor")
                .order_by("created_at", "id"))
