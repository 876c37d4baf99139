"""The worker's reads for sending ticket emails and its one write after a send, as SQL
prepared once per process (issue 16: compiling the equivalent ORM queries cost more CPU
than everything else the send does): the rows with their ticket, requester, ticket message
and three facts (one email's or a drain batch's), the threads' Message-IDs with the Cc
addresses in one read for any number of tickets, and the mark as sent with its MAIL_SENT
audit event in one statement.

PostgreSQL only (the production database); elsewhere the callers use the ORM queries,
which say the same (`outbound_services._rows_for_send`, `outbound.thread_and_copies`).
Instances are built with `Model.from_db` from the columns read; any other field is
deferred (read on access: the query-count tests would show it). Table names, and the
columns of the row read, come from the models' `_meta`.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

from django.db import connection

from accounts.models import User
from tickets.models import Attachment, Message, Ticket, TicketEvent, TicketParticipant

from .models import InboundMessage, OutboundMessage

ROW_FIELDS = ("id", "claimed_at", "send_attempts", "sent_at", "ticket_id", "ticket_message_id",
              "kind", "header_message_id", "to_address", "subject", "is_automatic",
              "created_at", "failure_reason")
TICKET_FIELDS = ("id", "number", "subject", "status", "organization_id", "requester_id",
                 "department_id")
USER_FIELDS = ("id", "email", "full_name", "language", "browser_language", "is_active")
MESSAGE_FIELDS = ("id", "ticket_id", "author_id", "kind", "source", "body", "created_at")


def prepared() -> bool:
    return connection.vendor == "postgresql"


@cache
def _ordered(model, names: tuple[str, ...]) -> tuple[str, ...]:
    """The attnames wanted, in the model's field order (what `Model.from_db` expects)."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


def _columns(model, alias: str, names) -> list[str]:
    return [f'{alias}."{model._meta.get_field(name).column}"' for name in _ordered(model, names)]


PARTS = ((OutboundMessage, ROW_FIELDS), (Ticket, TICKET_FIELDS), (User, USER_FIELDS),
         (Message, MESSAGE_FIELDS))


def _table(model) -> str:
    return f'"{model._meta.db_table}"'


@cache
def _row_sql() -> str:
    o, t = _table(OutboundMessage), _table(Ticket)
    columns = [column for (model, names), alias in zip(PARTS, "otum", strict=True)
               for column in _columns(model, alias, names)]
    return (
        f"SELECT {', '.join(columns)}, "
        f"EXISTS (SELECT 1 FROM {o} d WHERE d.kind = o.kind "
        "AND d.ticket_message_id = o.ticket_message_id AND d.sent_at IS NOT NULL "
        "AND d.id <> o.id), "
        f"(SELECT COUNT(*) FROM {o} r WHERE r.ticket_id = o.ticket_id "
        "AND UPPER(r.to_address) = UPPER(o.to_address) AND r.is_automatic "
        "AND r.sent_at IS NOT NULL AND r.created_at >= %s AND r.id <> o.id), "
        f"EXISTS (SELECT 1 FROM {_table(Attachment)} a WHERE a.message_id = o.ticket_message_id) "
        f"FROM {o} o JOIN {t} t ON t.id = o.ticket_id "
        f"JOIN {_table(User)} u ON u.id = t.requester_id "
        f"LEFT JOIN {_table(Message)} m ON m.id = o.ticket_message_id ")


def row_for_send(*, since: dt.datetime, header_message_id: str | None = None,
                 pk: int | None = None) -> OutboundMessage | None:
    """The row (by Message-ID or pk) with `ticket`, `ticket.requester` and `ticket_message`
    set, and `sent_duplicate`, `recent_automatic` (automatic mails sent to its address
    about its ticket since `since`, itself excluded) and `has_attachments`."""
    where, value = ("o.header_message_id = %s", header_message_id) if pk is None \
        else ("o.id = %s", pk)
    with connection.cursor() as cursor:
        cursor.execute(_row_sql() + "WHERE " + where, [since, value])
        values = cursor.fetchone()
    return None if values is None else _built(values)


def rows_for_send(*, since: dt.datetime, header_message_ids: list[str]
                  ) -> list[OutboundMessage]:
    """`row_for_send` for many Message-IDs in one read (a drain's batch)."""
    with connection.cursor() as cursor:
        cursor.execute(_row_sql() + "WHERE o.header_message_id = ANY(%s)",
                       [since, list(header_message_ids)])
        return [_built(values) for values in cursor.fetchall()]


def _built(values: tuple) -> OutboundMessage:
    built, start = [], 0
    for model, names in PARTS:
        names = _ordered(model, names)
        span = values[start:start + len(names)]
        start += len(names)
        built.append(model.from_db(connection.alias, names, span)
                     if span[names.index("id")] is not None else None)
    row, ticket, requester, message = built
    ticket.requester = requester
    row.ticket = ticket
    row.ticket_message = message
    if message is not None:
        message.ticket = ticket
    row.sent_duplicate, row.recent_automatic, row.has_attachments = values[start:]
    return row


@cache
def _thread_sql() -> str:
    """Per ticket of the arrays (ticket ids, requester ids): its newest sent and received
    Message-IDs and its participants' addresses, by index (LATERAL: one plan per ticket)."""
    o, i = _table(OutboundMessage), _table(InboundMessage)
    return (
        "SELECT k.ticket_id, x.* FROM unnest(%s::bigint[], %s::bigint[]) "
        "AS k(ticket_id, requester_id) CROSS JOIN LATERAL ("
        f"(SELECT 'r' AS tag, created_at AS at, header_message_id AS value, id FROM {o} "
        "WHERE ticket_id = k.ticket_id AND sent_at IS NOT NULL "
        "ORDER BY created_at DESC, id DESC LIMIT %s) UNION ALL "
        f"(SELECT 'r', received_at, header_message_id, id FROM {i} "
        "WHERE ticket_id = k.ticket_id AND NOT is_automatic AND header_message_id <> '' "
        "ORDER BY received_at DESC, id DESC LIMIT %s) UNION ALL "
        f"(SELECT 'c', p.created_at, u.email, p.id FROM {_table(TicketParticipant)} p "
        f"JOIN {_table(User)} u ON u.id = p.contact_id WHERE p.ticket_id = k.ticket_id "
        "AND u.is_active AND p.contact_id <> k.requester_id)) x")


def thread_rows(*, ticket: Ticket, limit: int) -> list[tuple]:
    """(tag, when, value, id) rows: 'r' the thread's Message-IDs (the newest `limit` sent
    and received), 'c' the participants' addresses."""
    return threads_rows(tickets=[ticket], limit=limit).get(ticket.pk, [])


def threads_rows(*, tickets, limit: int) -> dict[int, list[tuple]]:
    """`thread_rows` of many tickets in one read, by ticket id."""
    tickets = list({ticket.pk: ticket for ticket in tickets}.values())
    out: dict[int, list[tuple]] = {ticket.pk: [] for ticket in tickets}
    with connection.cursor() as cursor:
        cursor.execute(_thread_sql(), [[t.pk for t in tickets], [t.requester_id for t in tickets],
                                       limit, limit])
        for ticket_id, *row in cursor.fetchall():
            out[ticket_id].append(tuple(row))
    return out


@cache
def _mark_sent_sql() -> str:
    return (
        f"WITH sent AS (UPDATE {_table(OutboundMessage)} SET sent_at = %s, failure_reason = '' "
        "WHERE id = %s RETURNING ticket_id) "
        f"INSERT INTO {_table(TicketEvent)} (ticket_id, actor_id, kind, data, created_at) "
        "SELECT ticket_id, NULL, %s, %s::jsonb, %s FROM sent")


def mark_sent(*, pk: int, at: dt.datetime, event_kind: str, event_data: dict) -> None:
    """The row marked sent and its audit event written in ONE statement (atomic on its own,
    committed at once in autocommit): the one write of a send after the backend took it."""
    with connection.cursor() as cursor:
        cursor.execute(_mark_sent_sql(), [at, pk, event_kind, json.dumps(event_data), at])
