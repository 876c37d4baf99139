"""Reads of the accounts app, starting from what the actor may see."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone

from .models import User, UserSession


def user_sessions_for(*, user: User) -> list[UserSession]:
    """The user's own signed-in sessions that have not expired, most recently seen first."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, session_key__in=live))
