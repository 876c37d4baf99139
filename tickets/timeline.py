"""The ticket page's timeline as the customer reads it: opened, who replied, status
changes, moves to another department (in customer terms), agent time that used credits.
Internal notes, agents' reasons and time-entry notes never appear."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from catalog.models import Department

from .models import Message, Ticket


@dataclass(frozen=True)
class TimelineItem:
    at: object
    kind: str
    text: str


def _who(event) -> str:
    if event.actor is None:
        return _("Support")
    if event.actor.is_staff:
        name = event.actor.get_short_name()
        return _("Support") + (f" · {name}" if name else "")
    return event.actor.get_full_name()


def _status(code: str) -> str:
    return str(Ticket.Status(code).label) if code in Ticket.Status.values else code


def _moved(event, names: dict) -> str:
    data = event.data or {}
    text = _("Moved from %(old)s to %(new)s.") % {
        "old": names.get(data.get("old"), data.get("old", "")),
        "new": names.get(data.get("new"), data.get("new", ""))}
    if data.get("old_uses_credits") and not data.get("new_uses_credits"):
        text += " " + _("That department does not use credits: the credits used were refunded.")
    if data.get("dropped_items"):
        text += " " + _("Details that do not apply there were removed.")
    return text


def _text(event, names: dict) -> str:
    data, who = event.data or {}, _who(event)
    texts = {
        "created": lambda: _("Opened by %(who)s.") % {"who": who},
        "resolved": lambda: _("Marked resolved by %(who)s.") % {"who": who},
        "reopened": lambda: _("Reopened by %(who)s.") % {"who": who},
        "status_changed": lambda: _("Status changed from %(old)s to %(new)s.") % {
            "old": _status(data.get("old", "")), "new": _status(data.get("new", ""))},
        "department_changed": lambda: _moved(event, names),
        "time_logged": lambda: _("%(minutes)s minutes of agent time used credits.") % {
            "minutes": data.get("minutes", 0)},
        "credits_refunded": lambda: _("%(minutes)s credits refunded.") % {
            "minutes": data.get("minutes", 0)},
        "participant_added": lambda: _("%(email)s now follows the ticket.") % {
            "email": data.get("email", "")},
        "participant_removed": lambda: _("%(email)s no longer follows the ticket.") % {
            "email": data.get("email", "")},
        "message_added": lambda: _("Replied by %(who)s.") % {"who": who},
        "merged": lambda: _("Merged into ticket %(number)s.") % {"number": data.get("into", "")},
        "merged_from": lambda: _("Ticket %(number)s was merged into this one.") % {
            "number": data.get("from", "")},
    }
    return texts[event.kind]() if event.kind in texts else ""


def _shown(event) -> bool:
    data = event.data or {}
    if event.kind == "message_added":
        return data.get("message_kind") in Message.CUSTOMER_VISIBLE_KINDS
    if event.kind == "time_logged":
        return "balance_after_minutes" in data  # only agent time that used credits
    return True


def ticket_timeline(*, events) -> list[TimelineItem]:
    """`events`: the ticket's events a customer may see (customer_selectors), oldest first."""
    events = [e for e in events if _shown(e)]
    codes = {(e.data or {}).get(k) for e in events if e.kind == "department_changed"
             for k in ("old", "new")}
    names = ({d.code: d.name for d in Department.objects.filter(code__in=codes)}
             if codes else {})
    return [TimelineItem(at=e.created_at, kind=e.kind, text=_text(e, names)) for e in events]
