"""Why an inbound message ended where it did. Stored on InboundMessage.reason (English,
for agents and logs); tests assert these constants."""

# Quarantine (a human message we will not append to any ticket by ourselves).
NO_SENDER = "no usable sender address"
NO_REFERENCE = "no ticket tag in the subject and no reply to our mail"
UNKNOWN_TICKET = "the ticket number in the subject does not exist"
SENDER_NOT_ALLOWED = "the sender may not write to this ticket"
STAFF_SENDER = "sent by an agent (agents answer in the agent workspace)"
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
