"""The "Agents" group with its permissions (see tickets/agents_group.py).

Permission rows are normally created after migrate; this creates the missing ones first
(django.contrib.auth.management.create_permissions on the migration's app registry). A
post_migrate handler keeps the group in step when later migrations add models.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from tickets.agents_group import agents_group_sync, create_missing_permissions

    using = schema_editor.connection.alias
    create_missing_permissions(apps, using=using)
    agents_group_sync(apps=apps, using=using)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name="Agents").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("catalog", "0002_seed_support_catalogue"),
        ("credits", "0001_initial"),
        ("entitlements", "0001_initial"),
        ("mailgateway", "0001_inbound_and_outbound_mail"),
        ("tickets", "0003_postgres_trigram_search_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
