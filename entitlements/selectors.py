"""Read queries for entitlements, starting from what the contact may see.

A contact sees the records of their own organization and, when it is a reseller, of its
customer organizations. Anything else is treated exactly like a missing record.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import BillingResponsibility, Deployment, HardwareItem, ModuleLicence


def visible_organization_ids(*, contact) -> list[int]:
    """The contact's organization first, then its reseller customers (by name)."""
    if contact is None or not getattr(contact, "organization_id", None):
        return []
    from accounts.models import Organization

    customers = list(Organization.objects.filter(resellers__id=contact.organization_id)
                     .order_by("name").values_list("id", flat=True))
    return [contact.organization_id] + [pk for pk in customers if pk != contact.organization_id]


def deployments_for_contact(*, contact, product=None) -> QuerySet[Deployment]:
    qs = (Deployment.objects.filter(organization_id__in=visible_organization_ids(contact=contact))
          .select_related("organization", "product"))
    if product is not None:
        qs = qs.filter(product=product)
    return qs.order_by("code")


def hardware_for_contact(*, contact, product=None) -> QuerySet[HardwareItem]:
    qs = (HardwareItem.objects
          .filter(organization_id__in=visible_organization_ids(contact=contact))
          .select_related("organization", "product", "connected_deployment"))
    if product is not None:
        qs = qs.filter(product=product)
    return qs.order_by("serial_number")


def module_licences_for_contact(*, contact, product=None) -> QuerySet[ModuleLicence]:
    qs = (ModuleLicence.objects
          .filter(deployment__organization_id__in=visible_organization_ids(contact=contact))
          .select_related("deployment", "deployment__organization"))
    if product is not None:
        qs = qs.filter(deployment__product=product)
    return qs.order_by("deployment__code", "module_name")


def billing_responsibilities_for_contact(*, contact) -> QuerySet[BillingResponsibility]:
    """Whose credits may pay: the contact's organization's IDs, then its customers'."""
    return (BillingResponsibility.objects
            .filter(organization_id__in=visible_organization_ids(contact=contact))
            .select_related("organization").order_by("code"))


def deployment_for_contact(*, contact, code: str) -> Deployment | None:
    return deployments_for_contact(contact=contact).filter(code__iexact=(code or "").strip()).first()


def hardware_for_contact_by_serial(*, contact, serial_number: str) -> HardwareItem | None:
    return hardware_for_contact(contact=contact).filter(
        serial_number__iexact=(serial_number or "").strip()).first()


def billing_responsibility_for_contact(*, contact, code: str) -> BillingResponsibility | None:
    return billing_responsibilities_for_contact(contact=contact).filter(
        code__iexact=(code or "").strip()).first()


def module_licence_for_contact(*, contact, pk) -> ModuleLicence | None:
    try:
        return module_licences_for_contact(contact=contact).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None
