"""Domain signals of the tickets app, sent INSIDE the transaction of the change.

`ticket_notification(kind, ticket, ticket_id, message_id)`: something the requester should
hear about happened. The mail gateway (a higher layer) listens and records the email (its
OutboundMessage with the signed Message-ID, and the outbox task that sends it) in the same
transaction, so a rolled-back change sends nothing and a committed one loses nothing.
Receivers only write rows (no I/O); tickets never imports the mail gateway.
"""

from django.dispatch import Signal

ticket_notification = Signal()

# kinds sent with ticket_notification
CREATED = "created"
AGENT_REPLY = "agent_reply"
RESOLVED = "resolved"
REOPENED = "reopened"

# `report_days_changed(moments)`: figures the reports keep per day moved away from the days
# of these moments (a reopened ticket's former resolution, a first-response due time's
# former and new day, every day of a ticket moved to another department). The reports app
# (a higher layer) marks those days to compute again.
report_days_changed = Signal()


def report_days_touched(*moments) -> None:
    moments = [m for m in moments if m is not None]
    if moments:
        report_days_changed.send(sender=None, moments=moments)
