"""What a customer owns and is entitled to: deployments, billing responsibilities,
support contracts, hardware warranties and commercial-module maintenance."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BillingResponsibility(models.Model):
    """The ID that says whose credits pay (e.g. BR-1001)."""

    code = models.CharField(_("Billing Responsibility ID"), max_length=32, unique=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT,
                                     related_name="billing_responsibilities",
                                     verbose_name=_("paying organization"))
    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("billing responsibility")
        verbose_name_plural = _("billing responsibilities")

    def __str__(self) -> str:
        return f"{self.code} ({self.organization})"


class Deployment(models.Model):
    """One installation of a product, owned by an organization (e.g. DEP-1001)."""

    code = models.CharField(_("Deployment ID"), max_length=32, unique=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT,
                                     related_name="deployments", verbose_name=_("organization"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT,
                                related_name="deployments", verbose_name=_("product"))
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}" if self.name else self.code


class ContractPlan(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    products = models.ManyToManyField("catalog.Product", related_name="contract_plans",
                                      verbose_name=_("products"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12)
    included_credits_minutes = models.PositiveIntegerField(_("credits included per term"),
                                                           default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Shown on renewal orders when set (empty: sales quote it).
    price = models.DecimalField(_("price per term"), max_digits=10, decimal_places=2,
                                null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    class Meta:
        ordering = ["name"]
        verbose_name = _("contract plan")
        verbose_name_plural = _("contract plans")

    def __str__(self) -> str:
        return self.name


class SupportContract(models.Model):
    """Belongs to one deployment; active from starts_on through ends_on (inclusive)."""

    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="contracts",
                                   verbose_name=_("deployment"))
    plan = models.ForeignKey(ContractPlan, on_delete=models.PROTECT, related_name="contracts",
                             verbose_name=_("plan"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # How many terms have been sold (1 at creation, +1 per renewal); each term's included
    # credits are granted once, with the idempotency key contract:<id>:term:<n>.
    term_count = models.PositiveSmallIntegerField(_("terms"), default=1)
    # The end date each reminder was last sent for: once per end date, again after renewal.
    reminder_30_sent_for = models.DateField(_("30-day reminder sent for end"), null=True,
                                            blank=True, editable=False)
    reminder_7_sent_for = models.DateField(_("7-day reminder sent for end"), null=True,
                                           blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["deployment", "-ends_on"]
        verbose_name = _("support contract")
        verbose_name_plural = _("support contracts")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="entitlements_contract_dates_ordered"),
        ]
        indexes = [models.Index(fields=["ends_on"], name="entitlements_contract_end_idx")]

    def __str__(self) -> str:
        return f"{self.deployment.code}: {self.plan} ({self.starts_on} – {self.ends_on})"

    def is_active_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class HardwareItem(models.Model):
    serial_number = models.CharField(_("serial number"), max_length=64, unique=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT,
                                     related_name="hardware_items", verbose_name=_("organization"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT,
                                related_name="hardware_items", verbose_name=_("product"))
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    warranty_ends_on = models.DateField(_("warranty ends on"), null=True, blank=True)
    # Phones: the FreePBX/PBXact deployment they are connected to.
    connected_deployment = models.ForeignKey(Deployment, on_delete=models.SET_NULL, null=True,
                                             blank=True, related_name="connected_hardware",
                                             verbose_name=_("connected to deployment"))

    class Meta:
        ordering = ["serial_number"]
        verbose_name = _("hardware item")
        verbose_name_plural = _("hardware items")

    def __str__(self) -> str:
        return f"{self.serial_number} — {self.model_name}" if self.model_name else self.serial_number


class ModuleLicence(models.Model):
    """A commercial module bought for a deployment; maintenance runs 12 months from purchase."""

    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT,
                                   related_name="module_licences", verbose_name=_("deployment"))
    module_name = models.CharField(_("module"), max_length=200)
    purchased_on = models.DateField(_("purchased on"))
    maintenance_ends_on = models.DateField(_("maintenance ends on"))

    class Meta:
        ordering = ["deployment", "module_name"]
        verbose_name = _("commercial module licence")
        verbose_name_plural = _("commercial module licences")
        constraints = [
            models.UniqueConstraint(fields=["deployment", "module_name"],
                                    name="entitlements_module_per_deployment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.module_name} ({self.deployment.code})"


class RenewalOrder(models.Model):
    """A customer's request to renew a deployment's support contract (the wizard's "Renew
    the support contract of DEP-…" fix). Staff see it beside the purchase orders; the
    contract gains a term when they mark it renewed. One pending order per deployment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        RENEWED = "renewed", _("Renewed")
        CANCELLED = "cancelled", _("Cancelled")

    contract = models.ForeignKey(SupportContract, on_delete=models.PROTECT,
                                 related_name="renewal_orders", verbose_name=_("contract"))
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT,
                                   related_name="renewal_orders", verbose_name=_("deployment"))
    plan = models.ForeignKey(ContractPlan, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("plan"))
    # The plan's price when the order was made (None: to be quoted).
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True,
                                blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("contract renewal order")
        verbose_name_plural = _("contract renewal orders")
        constraints = [
            models.UniqueConstraint(fields=["deployment"], condition=models.Q(status="pending"),
                                    name="entitlements_one_pending_renewal"),
        ]

    def __str__(self) -> str:
        return f"RO-{self.pk:06d}" if self.pk else "RO"
