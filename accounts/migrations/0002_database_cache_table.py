"""The database cache's table (settings.DATABASE_CACHE): the embedded default's cache, and with
Redis the throttles' store while Redis is down. Made here so that `migrate` is enough in every
profile (createcachetable leaves an existing table alone)."""

from django.core.management import call_command
from django.db import migrations

TABLE = "helpdesk_cache"


def create_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias,
                 verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_table, drop_table, elidable=False)]
