"""Outgoing webhooks: an organization's (or, without one, the staff's: every
organization's) URL for ticket and credit events, and each delivery with its response."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_REPLIED = "ticket.replied", _("Agent replied")
    TICKET_RESOLVED = "ticket.resolved", _("Ticket resolved")
    TICKET_REOPENED = "ticket.reopened", _("Ticket reopened")
    BALANCE_LOW = "balance.low", _("Credit balance low or overdrawn")


class WebhookEndpoint(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     null=True, blank=True, related_name="webhook_endpoints",
                                     verbose_name=_("organization"))
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=64)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries", verbose_name=_("endpoint"))
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True,
                                                       blank=True)
    response_body = models.TextField(_("response"), blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
