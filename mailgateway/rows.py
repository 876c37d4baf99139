"""Write many rows of a model at once, cheaply."""

from __future__ import annotations

from django.db import models, transaction


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
