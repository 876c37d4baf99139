"""What the rules engine looks up about one contact, loaded once and memoized, so that
deciding every department of the wizard costs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cached_property

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from credits.models import CreditAccount

from . import selectors
from .models import SupportContract


class Context:
    def __init__(self, *, contact, at: dt.datetime, lock: bool):
        self.contact = contact
        self.at = at
        self.lock = lock
        self.final = lock
        self.day = timezone.localdate(at) if timezone.is_aware(at) else at.date()
        self._balances: dict[int, int] = {}

    @cached_property
    def org_ids(self) -> list[int]:
        return selectors.visible_organization_ids(contact=self.contact)

    @cached_property
    def contact_is_admin(self) -> bool:
        return bool(getattr(self.contact, "is_org_admin", False))

    @cached_property
    def renewal_url(self) -> str:
        return getattr(settings, "CONTRACT_RENEWAL_URL", "")

    def sales_url(self, *, topic: str, about: str = "") -> str:
        """Where a fix that is a sales question leads: a new ticket in the free sales
        department (settings.SALES_DEPARTMENT_CODE) with the topic and the record filled
        in; CONTRACT_RENEWAL_URL when no such department is set."""
        code = getattr(settings, "SALES_DEPARTMENT_CODE", "")
        if not code:
            return self.renewal_url
        query = urlencode({"topic": topic, **({"about": about} if about else {})})
        return f"{reverse('tickets:submit_details', args=[code])}?{query}"

    @cached_property
    def _deployments(self) -> dict[int, list]:
        by_product = defaultdict(list)
        for deployment in selectors.deployments_for_contact(contact=self.contact):
            by_product[deployment.product_id].append(deployment)
        return by_product

    @cached_property
    def _contracts(self) -> dict[int, list]:
        ids = [d.pk for ds in self._deployments.values() for d in ds]
        by_deployment = defaultdict(list)
        for contract in SupportContract.objects.filter(deployment_id__in=ids):
            by_deployment[contract.deployment_id].append(contract)
        return by_deployment

    @cached_property
    def _hardware(self) -> dict[int, list]:
        by_product = defaultdict(list)
        for item in selectors.hardware_for_contact(contact=self.contact):
            by_product[item.product_id].append(item)
        return by_product

    @cached_property
    def _modules(self) -> dict[int, list]:
        by_product = defaultdict(list)
        for licence in selectors.module_licences_for_contact(contact=self.contact):
            by_product[licence.deployment.product_id].append(licence)
        return by_product

    @cached_property
    def billing_organization_ids(self) -> list[int]:
        """Organizations whose credits this contact may choose (by a visible BR ID)."""
        return sorted(set(selectors.billing_responsibilities_for_contact(contact=self.contact)
                          .values_list("organization_id", flat=True)))

    @cached_property
    def _organization_names(self) -> dict[int, str]:
        from accounts.models import Organization

        return dict(Organization.objects.filter(pk__in=self.org_ids).values_list("id", "name"))

    def deployments_of(self, product) -> list:
        return self._deployments.get(product.pk, [])

    def contracts_of(self, deployment) -> list:
        if deployment.organization_id in self.org_ids and any(
                deployment.pk == d.pk for d in self._deployments.get(deployment.product_id, [])):
            return self._contracts.get(deployment.pk, [])
        return list(SupportContract.objects.filter(deployment=deployment))

    def hardware_of(self, product) -> list:
        return self._hardware.get(product.pk, [])

    def modules_of(self, product) -> list:
        return self._modules.get(product.pk, [])

    def organization_name(self, organization_id: int) -> str:
        return self._organization_names.get(organization_id, "")

    def balance_of(self, organization_id: int) -> int:
        if not self.lock and not self._balances and len(self.org_ids) > 1:
            self._balances.update(CreditAccount.objects.filter(
                organization_id__in=self.org_ids).values_list("organization_id",
                                                              "balance_minutes"))
            self._balances.update({pk: 0 for pk in self.org_ids if pk not in self._balances})
        if self.lock or organization_id not in self._balances:
            self._balances[organization_id] = (
                CreditAccount.objects.filter(organization_id=organization_id)
                .values_list("balance_minutes", flat=True).first()) or 0
        return self._balances[organization_id]
