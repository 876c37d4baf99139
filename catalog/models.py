"""The catalogue: products, their support departments, each department's rules and fields.

Rules are data so that staff change them in the admin without a code change. The
entitlement engine (entitlements.engine) reads them; tickets file into departments.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def localized(spanish: str, english: str) -> str:
    """The English text when the active language is English, else the Spanish one."""
    return english if (get_language() or "es").startswith("en") else spanish


class BilingualNameMixin(models.Model):
    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return localized(self.name_es, self.name_en)

    def __str__(self) -> str:
        return self.name


class Product(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")


class Department(BilingualNameMixin):
    class Warranty(models.TextChoices):
        REQUIRED = "required", _("Hardware must be under warranty")
        NOT_CHECKED = "not_checked", _("Not checked")

    class Contract(models.TextChoices):
        REQUIRED = "required", _("Support contract required")
        NOT_REQUIRED = "not_required", _("Not required")
        NOT_OFFERED = "not_offered", _("Not offered")

    class Credits(models.TextChoices):
        USED = "used", _("Uses credits")
        FREE = "free", _("Free")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="departments",
                                verbose_name=_("product"))
    code = models.SlugField(_("code"), max_length=80, unique=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    warranty_rule = models.CharField(_("warranty"), max_length=16, choices=Warranty.choices,
                                     default=Warranty.NOT_CHECKED)
    contract_rule = models.CharField(_("contract"), max_length=16, choices=Contract.choices,
                                     default=Contract.NOT_REQUIRED)
    credits_rule = models.CharField(_("credits"), max_length=8, choices=Credits.choices,
                                    default=Credits.FREE)
    requires_module_maintenance = models.BooleanField(
        _("module must be under maintenance"), default=False)
    requires_connected_deployment = models.BooleanField(
        _("hardware must be connected to a FreePBX/PBXact deployment"), default=False)
    best_effort = models.BooleanField(_("best effort"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product__position", "position", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    @property
    def description(self) -> str:
        return localized(self.description_es, self.description_en)

    @property
    def uses_credits(self) -> bool:
        return self.credits_rule == self.Credits.USED


class DepartmentField(models.Model):
    """A question the submit form asks for one department."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        TEXTAREA = "textarea", _("Long text")
        CHOICE = "choice", _("Choice from a list")
        DEPLOYMENT = "deployment", _("Deployment ID (from the customer's records)")
        BILLING_RESPONSIBILITY = "billing_responsibility", _("Billing Responsibility ID")
        HARDWARE = "hardware", _("Serial number (from the customer's records)")
        MODULE = "module", _("Commercial module (from the customer's records)")

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="fields",
                                   verbose_name=_("department"))
    key = models.SlugField(_("key"), max_length=50)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.TEXT)
    label_es = models.CharField(_("label (Spanish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    help_es = models.CharField(_("help (Spanish)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    # One option per line, for kind=choice.
    choices_text = models.TextField(_("choices (one per line)"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["department", "position", "id"]
        verbose_name = _("department field")
        verbose_name_plural = _("department fields")
        constraints = [
            models.UniqueConstraint(fields=["department", "key"], name="catalog_field_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department.code}:{self.key}"

    @property
    def label(self) -> str:
        return localized(self.label_es, self.label_en)

    @property
    def help_text(self) -> str:
        return localized(self.help_es, self.help_en)
