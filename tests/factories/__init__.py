"""All test factories, one module per app, re-exported here."""

from .accounts import OrganizationFactory, StaffFactory, UserFactory  # noqa: F401
from .catalog import department  # noqa: F401
from .entitlements import (  # noqa: F401
    BillingResponsibilityFactory,
    ContractPlanFactory,
    DeploymentFactory,
    HardwareItemFactory,
    ModuleLicenceFactory,
    SupportContractFactory,
)
from .tickets import TicketFactory, upload  # noqa: F401
