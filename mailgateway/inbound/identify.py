"""Who sent the message: the From address (never Reply-To), case-insensitive."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .parse import ParsedMessage


def sender_address(parsed: ParsedMessage) -> str:
    """The From address, lower-cased; '' when there is none. Reply-To is ignored on purpose:
    anybody can write any Reply-To."""
    return (parsed.from_address or "").strip().lower()


def sender_user(address: str):
    """The active user with this email address, else None (emails are stored lower-cased)."""
    if not address:
        return None
    return get_user_model().objects.filter(email=address.lower(), is_active=True).first()


class SenderUser:
    """The sender's user, looked up at most once and only when needed: when the sender is
    the ticket's requester (the usual reply) no query is made."""

    _UNSET = object()

    def __init__(self, address: str, *, known: dict | None = None):
        """`known`: the batch's users by lower-cased email, looked up beforehand for every
        sender of the batch (an address absent from it has no active user)."""
        self.address = address
        self._user = self._UNSET
        self._known = known

    def get(self, ticket=None):
        if self._user is self._UNSET:
            requester = getattr(ticket, "requester", None) if ticket is not None else None
            if requester is not None and requester.email.lower() == self.address \
                    and requester.is_active:
                self._user = requester
            elif self._known is not None:
                self._user = self._known.get(self.address)
            else:
                self._user = sender_user(self.address)
        return self._user


def sender_users(addresses) -> dict:
    """The active users of these addresses, by lower-cased email (one query)."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return {}
    return {user.email.lower(): user
            for user in get_user_model().objects.filter(email__in=wanted, is_active=True)}
