"""Errors of the entitlements app; messages are constants the tests assert."""

from django.utils.translation import gettext_lazy as _

RENEWAL_NOT_ALLOWED = _("Only an administrator of the organization can order a renewal.")
RENEWAL_NO_CONTRACT = _("This deployment has no support contract to renew.")
RENEWAL_NOT_PENDING = _("This renewal order is no longer awaiting payment.")


class EntitlementsError(Exception):
    """Base of every entitlements error."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(m) for m in messages]


class RenewalRefused(EntitlementsError):
    pass
