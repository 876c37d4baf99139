"""A small partial index listing staff users (the queue's assignee filter and forms ask for
the agents on every page; without it PostgreSQL scans every contact). PostgreSQL only."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('CREATE INDEX IF NOT EXISTS "tickets_staff_users_email" '
                              'ON "accounts_user" ("email") WHERE "is_staff"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "tickets_staff_users_email"')


class Migration(migrations.Migration):

    dependencies = [("tickets", "0004_agents_group")]

    operations = [migrations.RunPython(create, drop)]
