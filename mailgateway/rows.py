"""Write rows cheaply: one new row unless its unique key is held (the MTA pipe's store, once
a message), many rows' fields at once (a batch's outcomes)."""

from __future__ import annotations

from functools import cache

from django.db import IntegrityError, models, transaction


@cache
def _insert_fields(model) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if f is not model._meta.auto_field)


@cache
def _insert_sql(model, vendor: str) -> str:
    """INSERT … ON CONFLICT DO NOTHING RETURNING the key (PostgreSQL)."""
    quote = transaction.get_connection().ops.quote_name
    fields = _insert_fields(model)
    return (f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING "
            f"RETURNING {quote(model._meta.pk.column)}")


def row_insert(row: models.Model) -> models.Model | None:
    """INSERT the unsaved `row` unless a unique key holds one already: the row saved, else
    None (nothing written). On PostgreSQL one statement prepared once per model (compiling
    the ORM's INSERT cost more CPU than the statement), no savepoint needed; the row
    saved is a new instance (`Model.from_db`, every field as given). Elsewhere
    `save(force_insert=True)` (in a savepoint inside a transaction), an IntegrityError
    meaning held."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return _orm_insert(row, connection)
    model, fields = type(row), _insert_fields(type(row))
    values = {f.attname: f.pre_save(row, True) for f in fields}
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, connection.vendor),
                       [f.get_db_prep_save(values[f.attname], connection) for f in fields])
        found = cursor.fetchone()
    if found is None:
        return None
    values[model._meta.pk.attname] = found[0]
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _orm_insert(row: models.Model, connection) -> models.Model | None:
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)
    except IntegrityError:  # held (stored before, or concurrently)
        return None
    return row


def rows_update(rows: list[models.Model], names: list[str]) -> None:
    """UPDATE each row's fields (`names`) in one executemany: what `bulk_update` does,
    without its CASE WHEN expressions (which cost more Python than the inbound processing
    itself). The rows are of one model."""
    if not rows:
        return
    meta = type(rows[0])._meta
    connection = transaction.get_connection()
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table), ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(meta.pk.column))
    params = [[field.get_db_prep_save(getattr(row, field.attname), connection)
               for field in fields] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
