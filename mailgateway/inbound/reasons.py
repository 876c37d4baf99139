"""Why an inbound message ended where it did. Stored on InboundMessage.reason (English,
for agents and logs); tests assert these constants. `label` gives the reader's language
for those marked for translation."""

from django.utils.translation import gettext, gettext_noop

from tickets import access

# Quarantine (a human message we will not append to any ticket by ourselves).
NO_SENDER = gettext_noop("no usable sender address")
SENDER_UNVERIFIED = gettext_noop("could not verify the sender (DMARC fail)")
MESSAGE_ID_REUSED = gettext_noop(
    "reuses the Message-ID of an earlier, different message")
NO_REFERENCE = "no ticket tag in the subject and no reply to our mail"
UNKNOWN_TICKET = "the ticket number in the subject does not exist"
SENDER_NOT_ALLOWED = "the sender may not write to this ticket"
# Which rule of tickets.access refused the sender (only the requester, participants and
# the organization's admins may write to a ticket).
SENDER_UNKNOWN = gettext_noop("sender refused: the address is no user of ours")
SENDER_INACTIVE = gettext_noop("sender refused: the account is deactivated")
SENDER_OTHER_ORGANIZATION = gettext_noop("sender refused: a contact of another organization")
SENDER_NOT_PARTICIPANT = gettext_noop("sender refused: a colleague who is not the requester, a "
                            "participant or an organization admin")
STAFF_SENDER = "sent by an agent (agents answer in the agent workspace)"
SENDER_REFUSED = {
    access.NO_USER: SENDER_UNKNOWN,
    access.INACTIVE: SENDER_INACTIVE,
    access.OTHER_ORGANIZATION: SENDER_OTHER_ORGANIZATION,
    access.NOT_PARTICIPANT: SENDER_NOT_PARTICIPANT,
    access.STAFF: STAFF_SENDER,
}
# Quarantined without a notice to the sender.
SILENT = frozenset({STAFF_SENDER})
UNREADABLE = "the message could not be read"
PROCESSING_FAILED = "processing failed repeatedly"

# Automatic mail (recorded on its ticket when it threads, never answered).
AUTO_SUBMITTED = "Auto-Submitted: %s"
AUTO_RESPONSE_SUPPRESS = "X-Auto-Response-Suppress header"
PRECEDENCE = "Precedence: %s"
MAILING_LIST = "mailing-list header %s"
AUTOREPLY_HEADER = "auto-reply header %s"
VACATION_HEADER = "vacation header %s"
EMPTY_RETURN_PATH = "empty Return-Path (<>)"
DAEMON_SENDER = "sent by a mail system (%s)"
NO_REPLY_SENDER = "sent from a no-reply address"
DELIVERY_REPORT = "delivery status report"
FEEDBACK_REPORT = "feedback (abuse) report"
DISPOSITION_REPORT = "read receipt"
LOOP_HEADER_SEEN = "our own loop header"
OUR_MESSAGE_ID = "our own Message-ID"
OUR_ADDRESS = "sent from our own address"
AUTOREPLY_SUBJECT = "auto-reply or bounce subject"

# Outcome notes.
THREADED_BY_MESSAGE_ID = "reply to our signed Message-ID"
THREADED_BY_TAG = "subject tag"
BOUNCE_RECORDED = "delivery failure of our mail recorded"
NOT_THREADED = "not related to any ticket"


def label(reason: str) -> str:
    """The stored reason in the reader's language; what an agent's action appended after
    " — " (tickets' _by) is kept as it is."""
    text, separator, rest = (reason or "").partition(" — ")
    return gettext(text) + separator + rest if text else reason
