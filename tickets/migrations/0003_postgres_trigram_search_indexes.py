"""Trigram indexes that serve the agent queue's substring search on PostgreSQL.

Django's ``icontains`` becomes ``UPPER(col::text) LIKE UPPER('%term%')`` on PostgreSQL; a GIN
trigram index on that same expression answers it without scanning the table. Other
databases (SQLite, the embedded default) skip this migration's SQL.
"""

from django.db import migrations

INDEXES = [
    ("tickets_subject_trgm", "tickets_ticket", "subject"),
    ("accounts_org_name_trgm", "accounts_organization", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("tickets", "0002_agent_queue_indexes_and_canned_replies"),
    ]

    operations = [migrations.RunPython(create, drop)]
