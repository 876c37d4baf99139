"""Domain signals of the credits app, sent INSIDE the transaction of the booking.

`balance_notice(organization_id, kind, balance_minutes)`: the balance went low or overdrawn
(the same moment the organization's admins are emailed). Receivers only write rows."""

from django.dispatch import Signal

balance_notice = Signal()
