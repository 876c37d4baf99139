"""Reads of the webhooks app, starting from what the actor may see: an organization
admin their organization's endpoints, staff with the permission every endpoint."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookEndpoint


def may_manage_all(user) -> bool:
    return bool(user.is_staff and user.has_perm("webhooks.add_webhookendpoint"))


def endpoints_for(*, user) -> QuerySet[WebhookEndpoint]:
    if may_manage_all(user):
        return WebhookEndpoint.objects.all()
    if getattr(user, "is_org_admin", False) and user.is_active:
        return WebhookEndpoint.objects.filter(organization_id=user.organization_id)
    return WebhookEndpoint.objects.none()


def deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.all()
