"""Errors of the tickets app; messages are constants the tests assert."""

from django.utils.translation import gettext_lazy as _

SUBJECT_REQUIRED = _("Please enter a subject.")
MESSAGE_REQUIRED = _("Please enter a message.")
FILE_EMPTY = _("The file “%(name)s” is empty.")
FILE_TOO_LARGE = _("The file “%(name)s” is larger than %(limit)s MB.")
FILES_TOO_LARGE = _("The files of one ticket may not add up to more than %(limit)s MB.")
FILE_TYPE_REFUSED = _("Files of type “.%(ext)s” are not accepted.")
FILE_NAME_INVALID = _("The file name “%(name)s” is not accepted.")
DEPARTMENT_UNAVAILABLE = _("This department is not available to your account.")
TICKET_ALREADY_RESOLVED = _("This ticket is already resolved.")
FILES_NOT_STORED = _("Your files could not be stored (a problem on our side), so nothing was "
                     "saved yet. Your text is kept below: choose the files again and send the "
                     "form once more in a few minutes.")


class TicketsError(Exception):
    """Base of every tickets error. `messages` are shown to the person."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(m) for m in messages]


TICKET_EVENT_IMMUTABLE = "Ticket events are append-only: record a new event instead."


class TicketEventImmutable(TicketsError):
    pass


class AttachmentRejected(TicketsError):
    pass


class AttachmentStoreFailed(TicketsError, OSError):
    """The file store refused a write (disk full, permission denied, object store
    unreachable). Nothing was saved. An OSError too, so that the mail tasks retry it."""

    def __init__(self, *messages):
        super().__init__(*(messages or (FILES_NOT_STORED,)))


class AttachmentReadFailed(OSError):
    """A stored file could not be read back (the store is down, or the file is missing)."""


class DepartmentUnavailable(TicketsError):
    def __init__(self, decision, *messages):
        super().__init__(*(messages or (DEPARTMENT_UNAVAILABLE,)))
        self.decision = decision


class InvalidTicketInput(TicketsError):
    pass

# --- agent workspace ---
NOT_STAFF = _("Only staff may do this.")
ASSIGNEE_NOT_STAFF = _("Tickets can only be assigned to staff members.")
STATUS_INVALID = _("This status does not exist.")
PRIORITY_INVALID = _("This priority does not exist.")
BULK_NONE_SELECTED = _("Select at least one ticket.")
BULK_TOO_MANY = _("Select at most %(limit)s tickets at once.")
BULK_NOTHING = _("Choose what to change: the assignee, the status or the priority.")
BULK_REFUSED = _("%(number)s: %(reason)s Nothing was changed.")
SAME_DEPARTMENT = _("The ticket is already in this department.")
MINUTES_POSITIVE = _("Enter a positive number of minutes.")
MINUTES_TOO_MANY = _("One entry may not exceed %(limit)s minutes.")
TIME_ALREADY_REVERSED = _("This time entry has already been reversed.")
TIME_REVERSAL_NOT_REVERSIBLE = _("A reversing entry cannot itself be reversed.")
REVERSAL_REASON_REQUIRED = _("Give a reason to reverse a time entry.")
REFUND_SENTENCE = _("Ticket %(number)s moved to %(department)s, which does not use credits: "
                    "its minutes are refunded.")
MERGE_SAME_TICKET = _("A ticket cannot be merged into itself.")
MERGE_OTHER_ORGANIZATION = _("Only tickets of the same organization can be merged.")
MERGE_ALREADY_MERGED = _("This ticket was already merged into another one.")
MERGE_TARGET_NOT_FOUND = _("There is no ticket with this number.")
MACRO_NOT_FOUND = _("This macro does not exist or is not active.")
REPLY_OVER_NEWER_MESSAGE = _("The customer wrote again while you were typing. Read the new "
                             "message, then send your reply again.")


class AgentActionRefused(TicketsError):
    pass

# --- participants ---
PARTICIPANT_ACTOR_REFUSED = _("Only the requester or an agent may change who follows this "
                              "ticket.")
PARTICIPANT_OTHER_ORGANIZATION = _("Only contacts of the ticket's organization may follow it.")
PARTICIPANT_INACTIVE = _("This contact's account is deactivated.")
PARTICIPANT_IS_REQUESTER = _("The requester already follows the ticket.")
PARTICIPANT_NOT_FOUND = _("This contact does not follow the ticket.")


class ParticipantRefused(TicketsError):
    pass
