"""Who may read and who may write a ticket: one rule, used by the customer site, the API
and the mail gateway.

A ticket is open to its requester, its participants (contacts of the same organization
added on the ticket page or copied by the requester on an email) and the organization's
admins; to nobody else through these channels. Inactive contacts never; contacts of other
organizations never (the site and the API answer 404, exactly as for a missing ticket).
Agents work in the agent workspace (the admin), under the Django permissions of the Agents
group (tickets.view_ticket, tickets.add_message): on the customer channels they are refused
with STAFF (their mail is quarantined, not threaded as a customer's).

Writing (a reply; it reopens a resolved ticket) follows the same rule as reading, whatever
the ticket's status. Every answer carries a reason code (below): the mail gateway records
it on a quarantined message, tests assert it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Ticket, TicketParticipant

# Allowed, and why.
REQUESTER = "requester"
PARTICIPANT = "participant"
ORG_ADMIN = "org_admin"
# Refused, and which rule refused.
NO_USER = "no_user"  # anonymous, or an address that is no user of ours
INACTIVE = "inactive"  # a deactivated account
STAFF = "staff"  # agents answer in the agent workspace
OTHER_ORGANIZATION = "other_organization"  # a contact of another organization
NOT_PARTICIPANT = "not_participant"  # a colleague: not requester, participant or admin
NOT_REQUESTER = "not_requester"  # reads the ticket, but only its requester changes followers
AGENT = "agent"  # staff with tickets.change_ticket (the desk, the agents' API)

ALLOWED_REASONS = (REQUESTER, PARTICIPANT, ORG_ADMIN)
REFUSED_REASONS = (NO_USER, INACTIVE, STAFF, OTHER_ORGANIZATION, NOT_PARTICIPANT)


@dataclass(frozen=True)
class Access:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _refusal(user) -> str | None:
    """The rule refusing `user` whatever the ticket, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_USER
    if not user.is_active:
        return INACTIVE
    if user.is_staff:
        return STAFF
    if user.organization_id is None:
        return NO_USER
    return None


def is_participant(*, user, ticket: Ticket) -> bool:
    return TicketParticipant.objects.filter(ticket_id=ticket.pk, contact_id=user.pk).exists()


def ticket_access(*, user, ticket: Ticket) -> Access:
    refused = _refusal(user)
    if refused is not None:
        return Access(False, refused)
    if user.organization_id != ticket.organization_id:
        return Access(False, OTHER_ORGANIZATION)
    if ticket.requester_id == user.pk:
        return Access(True, REQUESTER)
    if user.is_org_admin:
        return Access(True, ORG_ADMIN)
    if is_participant(user=user, ticket=ticket):
        return Access(True, PARTICIPANT)
    return Access(False, NOT_PARTICIPANT)


def ticket_may_read(*, user, ticket: Ticket) -> Access:
    return ticket_access(user=user, ticket=ticket)


def ticket_may_write(*, user, ticket: Ticket) -> Access:
    """Reply (site, API, mail); a reply to a resolved ticket reopens it."""
    return ticket_access(user=user, ticket=ticket)


def ticket_may_change_participants(*, user, ticket: Ticket) -> Access:
    """Add or remove who follows the ticket: its requester (the ticket page, the customers'
    API) or an agent allowed to change tickets (the desk, the agents' API). Participants and
    the organization's admins read the list; they do not change it."""
    if user is not None and getattr(user, "is_authenticated", False) and user.is_staff:
        allowed = user.is_active and user.has_perm("tickets.change_ticket")
        return Access(allowed, AGENT if allowed else STAFF)
    access = ticket_access(user=user, ticket=ticket)
    if access and access.reason != REQUESTER:
        return Access(False, NOT_REQUESTER)
    return access


def tickets_visible_to(*, user) -> QuerySet[Ticket]:
    """Every ticket `ticket_may_read` allows `user` (one query, after one EXISTS)."""
    if _refusal(user) is not None:
        return Ticket.objects.none()
    tickets = Ticket.objects.filter(organization_id=user.organization_id)
    if user.is_org_admin:
        return tickets
    return tickets.filter(requested_or_followed(user=user))


def requested_or_followed(*, user) -> Q:
    """For a Ticket queryset: `user` is the requester or a participant. Most contacts follow
    no ticket: then it is the requester alone (the index on requester serves My Tickets at
    a million tickets; an OR with a subquery would read the organization's tickets)."""
    followed = TicketParticipant.objects.filter(contact_id=user.pk)
    if not followed.exists():
        return Q(requester=user)
    return Q(requester=user) | Q(pk__in=followed.values("ticket_id"))
