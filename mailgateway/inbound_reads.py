"""The inbound processing's two locking reads, as SQL prepared once per process (issue 16:
compiling the equivalent ORM queries cost the MTA pipe's synchronous path, which runs them
for every message, more CPU than the rest of its processing): a stored row's status and
attempts, and the tickets a message may thread to with their requesters.

PostgreSQL only (the production database); elsewhere the same functions run the ORM
queries that say the same. Tickets and
requesters are built with `Model.from_db` from every concrete column (nothing deferred, as
with `select_related`). Table and column names come from the models' `_meta`.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Q

from accounts.models import User
from tickets.models import Ticket

from .models import InboundMessage


def prepared() -> bool:
    return connection.vendor == "postgresql"


def _name(value: str) -> str:
    return connection.ops.quote_name(value)


@cache
def _attnames(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def _columns(model, alias: str) -> list[str]:
    return [f"{alias}.{_name(field.column)}" for field in model._meta.concrete_fields]


@cache
def _row_sql() -> str:
    meta = InboundMessage._meta
    return (f"SELECT {_name(meta.get_field('status').column)}, "
            f"{_name(meta.get_field('attempts').column)} FROM {_name(meta.db_table)} "
            f"WHERE {_name(meta.pk.column)} = %s FOR UPDATE")


def row_state_locked(*, pk: int) -> tuple[str, int] | None:
    """(status, attempts) of the stored row, locked (FOR UPDATE); None when missing."""
    if not prepared():
        return (InboundMessage.objects.select_for_update().filter(pk=pk)
                .values_list("status", "attempts").first())
    with connection.cursor() as cursor:
        cursor.execute(_row_sql(), [pk])
        return cursor.fetchone()


@cache
def _tickets_sql() -> str:
    ticket, user = Ticket._meta, User._meta
    columns = ", ".join(_columns(Ticket, "t") + _columns(User, "u"))
    requester = _name(ticket.get_field("requester").column)
    return (f"SELECT {columns} FROM {_name(ticket.db_table)} t "
            f"JOIN {_name(user.db_table)} u ON u.{_name(user.pk.column)} = t.{requester} "
            f"WHERE t.{_name(ticket.pk.column)} = ANY(%s) "
            f"OR t.{_name(ticket.get_field('number').column)} = ANY(%s) "
            f"ORDER BY t.{_name(ticket.pk.column)} FOR NO KEY UPDATE OF t")


def tickets_locked(*, ids, numbers) -> list[Ticket]:
    """The tickets with these ids or numbers, `requester` set, locked (FOR NO KEY UPDATE,
    the tickets only) in primary-key order."""
    if not prepared():
        return list(Ticket.objects.select_related("requester")
                    .select_for_update(of=("self",), no_key=True)
                    .filter(Q(pk__in=ids) | Q(number__in=numbers)).order_by("pk"))
    with connection.cursor() as cursor:
        cursor.execute(_tickets_sql(), [list(ids), list(numbers)])
        rows = cursor.fetchall()
    split = len(_attnames(Ticket))
    tickets = []
    for values in rows:
        ticket = Ticket.from_db(connection.alias, _attnames(Ticket), values[:split])
        ticket.requester = User.from_db(connection.alias, _attnames(User), values[split:])
        tickets.append(ticket)
    return tickets
