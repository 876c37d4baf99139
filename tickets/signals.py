"""Domain signals of the tickets app, sent after the transaction commits.

`ticket_notification(kind, ticket_id, message_id)`: something the requester should hear
about happened. The mail gateway (a higher layer) listens and queues the email; tickets
never imports it.
"""

from django.dispatch import Signal

ticket_notification = Signal()

# kinds sent with ticket_notification
CREATED = "created"
AGENT_REPLY = "agent_reply"
RESOLVED = "resolved"
REOPENED = "reopened"
