"""Errors of the mail gateway; messages are constants the tests assert."""

from django.utils.translation import gettext_lazy as _

INBOUND_NOT_FOUND = _("This email does not exist.")
NOT_QUARANTINED = _("Only a quarantined email can be attached, turned into a ticket or discarded.")
NO_SUBJECT = _("(no subject)")


class MailGatewayError(Exception):
    """Base of every mail gateway error. `messages` are shown to the person."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(m) for m in messages]


class InboundActionRefused(MailGatewayError):
    pass
