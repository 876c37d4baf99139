import datetime as dt

import factory
from django.utils import timezone

from catalog.models import Product
from entitlements.models import (
    BillingResponsibility,
    ContractPlan,
    Deployment,
    HardwareItem,
    ModuleLicence,
    SupportContract,
)

from .accounts import OrganizationFactory


def _product(code: str) -> Product:
    return Product.objects.get(code=code)


class BillingResponsibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingResponsibility

    code = factory.Sequence(lambda n: f"BR-{9000 + n}")
    organization = factory.SubFactory(OrganizationFactory)


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    code = factory.Sequence(lambda n: f"DEP-{9000 + n}")
    organization = factory.SubFactory(OrganizationFactory)
    product = factory.LazyFunction(lambda: _product("freepbx"))


class ContractPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractPlan
        django_get_or_create = ("name",)

    name = "Test Standard"
    term_months = 12
    included_credits_minutes = 120


class SupportContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportContract

    deployment = factory.SubFactory(DeploymentFactory)
    plan = factory.SubFactory(ContractPlanFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=335))


class HardwareItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HardwareItem

    serial_number = factory.Sequence(lambda n: f"SN-{9000 + n}")
    organization = factory.SubFactory(OrganizationFactory)
    product = factory.LazyFunction(lambda: _product("sbc"))
    warranty_ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=100))


class ModuleLicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModuleLicence

    deployment = factory.SubFactory(DeploymentFactory)
    module_name = factory.Sequence(lambda n: f"Module {n}")
    purchased_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    maintenance_ends_on = factory.LazyAttribute(
        lambda o: o.purchased_on + dt.timedelta(days=365))
