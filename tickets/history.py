"""A ticket's audit trail told as sentences, in the reader's language, for two audiences.

Agents (the desk) read every event: "María García reopened the ticket by email", "Alex
Agent moved it from FreePBX Configuration to SIPStation: 25 minutes refunded — internal
reason: …". Customers (the ticket page and the API's ticket history, ticket_timeline) read
the events that concern them (customer_selectors.HISTORY_KINDS) in customer terms: "Opened
by María García.", "Replied by Support · Alex.", "Moved from … to …", agent time only when
it used credits; never an internal note, an agent's reason or a time-entry note. Technical
details (message ids, outbound ids) are never part of a sentence: they stay in the event's
data and the original-email view.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import Message, Ticket, TicketEvent

K = TicketEvent.Kind
AGENT, CUSTOMER = "agent", "customer"

_SOURCES = {
    Message.Source.WEB: lambda: _("on the site"),
    Message.Source.EMAIL: lambda: _("by email"),
    Message.Source.API: lambda: _("through the API"),
    Message.Source.ADMIN: lambda: _("from the agent desk"),
}


@dataclass(frozen=True)
class HistoryLine:
    event: TicketEvent
    text: str

    @property
    def at(self):
        return self.event.created_at

    @property
    def kind(self) -> str:
        return self.event.kind


@dataclass(frozen=True)
class Names:
    """What the sentences name, read once for the whole history (fixed queries)."""

    departments: dict  # code -> name
    users: dict  # id -> display name


def _status(value) -> str:
    try:
        return str(Ticket.Status(value).label)
    except ValueError:
        return str(value)


def _priority(value) -> str:
    try:
        return str(Ticket.Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value)


def _who(event: TicketEvent, audience: str) -> str:
    actor = event.actor
    if actor is None:
        return _("Support") if audience == CUSTOMER else _("The helpdesk")
    if audience == CUSTOMER and actor.is_staff:
        name = actor.get_short_name()
        return _("Support") + (f" · {name}" if name else "")
    return actor.get_full_name()


def _source(data) -> str:
    maker = _SOURCES.get(data.get("source", ""))
    return f" {maker()}" if maker else ""


def _message(who: str, data: dict) -> str:
    kind = data.get("message_kind")
    if kind == Message.Kind.AGENT:
        return _("%(who)s replied to the customer") % {"who": who}
    if kind == Message.Kind.NOTE:
        return _("%(who)s added an internal note") % {"who": who}
    if kind == Message.Kind.AUTOMATIC:
        return _("An automatic email arrived")
    if kind == Message.Kind.DELIVERY_FAILURE:
        return _("A delivery failure report arrived")
    return _("%(who)s wrote%(source)s") % {"who": who, "source": _source(data)}


def _assigned(who: str, event: TicketEvent, names: Names) -> str:
    new = event.data.get("new")
    if new is None:
        return _("%(who)s unassigned the ticket") % {"who": who}
    if new == event.actor_id:
        return _("%(who)s took the ticket") % {"who": who}
    name = names.users.get(new) or event.data.get("new_email") or "?"
    return _("%(who)s assigned the ticket to %(name)s") % {"who": who, "name": name}


def _moved(who: str, data: dict, names: Names, refunded: int) -> str:
    old = names.departments.get(data.get("old"), data.get("old"))
    new = names.departments.get(data.get("new"), data.get("new"))
    text = _("%(who)s moved it from %(old)s to %(new)s") % {"who": who, "old": old, "new": new}
    if refunded:
        text += ": " + _("%(minutes)s minutes refunded") % {"minutes": refunded}
    if data.get("reason"):
        text += " — " + _("internal reason: %(reason)s") % {"reason": data["reason"]}
    return text


def _time(who: str, event: TicketEvent) -> str:
    data = event.data
    if event.kind == K.TIME_LOGGED:
        text = _("%(who)s logged %(minutes)s minutes") % {"who": who, "minutes": data["minutes"]}
        return f"{text}: {data['note']}" if data.get("note") else text
    text = _("%(who)s reversed an entry of %(minutes)s minutes") % {
        "who": who, "minutes": data.get("minutes")}
    return f"{text}: {data['reason']}" if data.get("reason") else text


def _mail(event: TicketEvent) -> str:
    to = event.data.get("to", "")
    if event.kind == K.MAIL_SENT:
        return _("Email sent to %(to)s") % {"to": to}
    return _("The email to %(to)s could not be delivered") % {"to": to}


def sentence(event: TicketEvent, *, names: Names, audience: str = AGENT,
             refunded: int = 0) -> str:
    if audience == CUSTOMER:
        return customer_sentence(event, names=names)
    who, data, kind = _who(event, AGENT), event.data, event.kind
    simple = {
        K.CREATED: lambda: _("%(who)s opened the ticket%(source)s") % {
            "who": who, "source": _source(data)},
        K.REOPENED: lambda: _("%(who)s reopened the ticket%(source)s") % {
            "who": who, "source": _source(data)},
        K.RESOLVED: lambda: _("%(who)s resolved the ticket") % {"who": who},
        K.STATUS_CHANGED: lambda: _("%(who)s changed the status from %(old)s to %(new)s") % {
            "who": who, "old": _status(data.get("old")), "new": _status(data.get("new"))},
        K.PRIORITY_CHANGED: lambda: _(
            "%(who)s changed the priority from %(old)s to %(new)s") % {
            "who": who, "old": _priority(data.get("old")), "new": _priority(data.get("new"))},
        K.CREDITS_REFUNDED: lambda: _("%(minutes)s minutes refunded") % {
            "minutes": data.get("minutes")},
        K.PARTICIPANT_ADDED: lambda: _("%(who)s added %(email)s to the ticket") % {
            "who": who, "email": data.get("email", "")},
        K.PARTICIPANT_REMOVED: lambda: _("%(who)s removed %(email)s from the ticket") % {
            "who": who, "email": data.get("email", "")},
        K.MERGED: lambda: _("%(who)s merged this ticket into %(number)s") % {
            "who": who, "number": data.get("into", "")},
        K.MERGED_FROM: lambda: _("%(who)s merged %(number)s into this ticket") % {
            "who": who, "number": data.get("from", "")},
    }
    if kind in simple:
        return simple[kind]()
    if kind == K.MESSAGE_ADDED:
        return _message(who, data)
    if kind == K.ASSIGNED:
        return _assigned(who, event, names)
    if kind == K.DEPARTMENT_CHANGED:
        return _moved(who, data, names, refunded)
    if kind in (K.TIME_LOGGED, K.TIME_REVERSED):
        return _time(who, event)
    if kind in (K.MAIL_SENT, K.MAIL_FAILED):
        return _mail(event)
    return str(event.get_kind_display())


def history_lines(events: list[TicketEvent], *, names: Names,
                  audience: str = AGENT) -> list[HistoryLine]:
    """One line per event. Agents: a refund that follows a move is told with the move.
    Customers: only what customer_shown lets through, each on its own line."""
    if audience == CUSTOMER:
        return [HistoryLine(event=e, text=customer_sentence(e, names=names))
                for e in events if customer_shown(e)]
    lines: list[HistoryLine] = []
    skip: set[int] = set()
    for index, event in enumerate(events):
        if event.pk in skip:
            continue
        refunded = 0
        if event.kind == K.DEPARTMENT_CHANGED:
            follower = events[index + 1] if index + 1 < len(events) else None
            if follower is not None and follower.kind == K.CREDITS_REFUNDED:
                refunded = follower.data.get("minutes") or 0
                skip.add(follower.pk)
        lines.append(HistoryLine(event=event, text=sentence(
            event, names=names, audience=audience, refunded=refunded)))
    return lines


def names_for(events: list[TicketEvent]) -> Names:
    """Department names by code and user names by id: two queries at most."""
    from django.contrib.auth import get_user_model

    from catalog.models import Department

    codes = {e.data.get(k) for e in events if e.kind == K.DEPARTMENT_CHANGED
             for k in ("old", "new")}
    user_ids = {e.data.get("new") for e in events if e.kind == K.ASSIGNED} - {None}
    departments = {d.code: d.name for d in Department.objects.filter(code__in=codes)
                   } if codes else {}
    users = {u.pk: u.get_full_name() for u in get_user_model().objects.filter(
        pk__in=user_ids).only("id", "email", "full_name")} if user_ids else {}
    return Names(departments=departments, users=users)


# --- the customer's audience (the ticket page and the API) --------------------------------

CUSTOMER_KINDS = frozenset({
    K.CREATED, K.RESOLVED, K.REOPENED, K.STATUS_CHANGED, K.DEPARTMENT_CHANGED, K.TIME_LOGGED,
    K.CREDITS_REFUNDED, K.PARTICIPANT_ADDED, K.PARTICIPANT_REMOVED, K.MESSAGE_ADDED, K.MERGED,
    K.MERGED_FROM})  # as customer_selectors.HISTORY_KINDS, which reads them


def customer_shown(event: TicketEvent) -> bool:
    """What a customer reads: replies that reached them, agent time that used credits,
    and the other CUSTOMER_KINDS."""
    data = event.data or {}
    if event.kind == K.MESSAGE_ADDED:
        return data.get("message_kind") in Message.CUSTOMER_VISIBLE_KINDS
    if event.kind == K.TIME_LOGGED:
        return "balance_after_minutes" in data  # only agent time that used credits
    return event.kind in CUSTOMER_KINDS


def _customer_moved(data: dict, names: Names) -> str:
    text = _("Moved from %(old)s to %(new)s.") % {
        "old": names.departments.get(data.get("old"), data.get("old", "")),
        "new": names.departments.get(data.get("new"), data.get("new", ""))}
    if data.get("old_uses_credits") and not data.get("new_uses_credits"):
        text += " " + _("That department does not use credits: the credits used were refunded.")
    if data.get("dropped_items"):
        text += " " + _("Details that do not apply there were removed.")
    return text


def customer_sentence(event: TicketEvent, *, names: Names) -> str:
    """The customer's wording: no agent's reason, no note, no internal detail."""
    data, who = event.data or {}, _who(event, CUSTOMER)
    texts = {
        K.CREATED: lambda: _("Opened by %(who)s.") % {"who": who},
        K.RESOLVED: lambda: _("Marked resolved by %(who)s.") % {"who": who},
        K.REOPENED: lambda: _("Reopened by %(who)s.") % {"who": who},
        K.STATUS_CHANGED: lambda: _("Status changed from %(old)s to %(new)s.") % {
            "old": _status(data.get("old", "")), "new": _status(data.get("new", ""))},
        K.DEPARTMENT_CHANGED: lambda: _customer_moved(data, names),
        K.TIME_LOGGED: lambda: _("%(minutes)s minutes of agent time used credits.") % {
            "minutes": data.get("minutes", 0)},
        K.CREDITS_REFUNDED: lambda: _("%(minutes)s credits refunded.") % {
            "minutes": data.get("minutes", 0)},
        K.PARTICIPANT_ADDED: lambda: _("%(email)s now follows the ticket.") % {
            "email": data.get("email", "")},
        K.PARTICIPANT_REMOVED: lambda: _("%(email)s no longer follows the ticket.") % {
            "email": data.get("email", "")},
        K.MESSAGE_ADDED: lambda: _("Replied by %(who)s.") % {"who": who},
        K.MERGED: lambda: _("Merged into ticket %(number)s.") % {"number": data.get("into", "")},
        K.MERGED_FROM: lambda: _("Ticket %(number)s was merged into this one.") % {
            "number": data.get("from", "")},
    }
    return texts[event.kind]() if event.kind in texts else ""


def ticket_timeline(*, events) -> list[HistoryLine]:
    """The customer's history of a ticket (the ticket page, the API): `events` are the
    ticket's events a customer may see (customer_selectors), oldest first. Each line has
    `at`, `kind` and `text`."""
    events = list(events)
    return history_lines(events, names=names_for(events), audience=CUSTOMER)
