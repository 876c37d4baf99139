"""Every reason and action text of the rules engine (English msgids, translated)."""

from django.utils.translation import gettext_lazy as _

# Reasons (codes are stable; the wizard and the tests use them).
DEPARTMENT_CLOSED = _("This department is not taking new tickets.")
NO_ORGANIZATION = _("Only contacts of a customer organization can open tickets.")
NO_CREDITS = _("This department uses support credits and %(org)s has no credits left.")
OVERDRAWN = _("This department uses support credits and the balance of %(org)s is "
              "overdrawn (%(balance)s credits).")
NO_CONTRACT_ANY = _("No %(product)s deployment of yours has an active support contract.")
CONTRACT_NONE = _("%(deployment)s has no support contract.")
CONTRACT_EXPIRED = _("The support contract of %(deployment)s ended on %(date)s.")
CONTRACT_NOT_STARTED = _("The support contract of %(deployment)s starts on %(date)s.")
DEPLOYMENT_REQUIRED = _("Name the deployment (Deployment ID) this ticket is about.")
DEPLOYMENT_UNKNOWN = _("Deployment %(deployment)s is not among your records.")
DEPLOYMENT_WRONG_PRODUCT = _("%(deployment)s is not a %(product)s deployment.")
NO_WARRANTY_ANY = _("None of your %(product)s hardware is under warranty.")
WARRANTY_EXPIRED = _("The warranty of %(serial)s ended on %(date)s.")
WARRANTY_UNKNOWN = _("%(serial)s has no warranty on record.")
HARDWARE_REQUIRED = _("Name the serial number of the hardware this ticket is about.")
HARDWARE_UNKNOWN = _("Serial number %(serial)s is not among your records.")
HARDWARE_WRONG_PRODUCT = _("%(serial)s is not %(product)s hardware.")
NOT_CONNECTED = _("%(serial)s is not connected to a FreePBX or PBXact system: only connected "
                  "phones are supported.")
NO_MAINTENANCE_ANY = _("None of your %(product)s commercial modules is under maintenance.")
MAINTENANCE_EXPIRED = _("The maintenance of the module “%(module)s” on %(deployment)s ended "
                        "on %(date)s.")
MODULE_REQUIRED = _("Choose the commercial module this ticket is about.")
MODULE_UNKNOWN = _("This commercial module is not among your records.")
MODULE_WRONG_PRODUCT = _("The module “%(module)s” is not a %(product)s module.")
BILLING_UNKNOWN = _("Billing Responsibility ID %(billing_id)s is not yours or your customers'.")

# Actions.
BUY_CREDITS = _("Request a bundle of credits")
REDEEM_CARD = _("Redeem a prepaid credit card")
ASK_ADMIN_CREDITS = _("Ask an administrator of %(org)s to add credits")
BUY_CONTRACT = _("Buy a support contract for your %(product)s deployment")
RENEW_CONTRACT = _("Renew the support contract of %(deployment)s")
RENEW_MAINTENANCE = _("Renew the maintenance of “%(module)s”")
ASK_SALES = _("Ask sales")
EXTEND_WARRANTY = _("Ask about a warranty extension for %(serial)s")
