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
    return (get_user_model().objects.filter(email=address.lower(), is_active=True)
            .only("id", "email", "organization_id", "is_staff", "language").first())
