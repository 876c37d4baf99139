"""The "Agents" group and its permissions.

Agents work tickets (view and change them, reply, add notes, log and reverse time, manage
canned replies), read customers, entitlements and the catalogue, read the credit ledger
and book manual adjustments with a reason (a new entry; entries are never changed),
approve or reject another agent's large adjustment, and see failed logins and lockouts.
They never edit the catalogue, the entitlement rules or contract plans, and nobody edits or
deletes a ledger entry or an audit event. They work the mail quarantine.

`agents_group_sync` is idempotent. The data migration runs it once; a post_migrate handler
runs it after every migrate so that permissions of models added later (by any app) are
granted as soon as they exist. Permission codenames that do not exist are skipped.
"""

from __future__ import annotations

AGENTS_GROUP = "Agents"

AGENT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "tickets": ("view_ticket", "change_ticket", "view_message", "add_message",
                "view_attachment", "view_ticketevent", "view_timeentry", "add_timeentry",
                "view_ticketfieldvalue", "view_cannedreply", "add_cannedreply",
                "change_cannedreply", "delete_cannedreply"),
    # Failed logins and lockouts (unlocking them takes accounts.change_user: admins).
    "accounts": ("view_organization", "view_user", "view_securityevent"),
    "catalog": ("view_product", "view_department", "view_departmentfield"),
    # A manual adjustment is a new ledger entry (with a reason); never a change.
    "credits": ("add_ledgerentry",),
    # Working the quarantine (attach, open a ticket, discard) needs the change permission;
    # the stored message itself stays read-only (see mailgateway.admin).
    "mailgateway": ("change_inboundmessage",),
}
# Every permission of these apps whose codename starts so, whatever models the apps
# define (card batches, purchase orders, contracts…): agents read them all, and may use
# any custom "adjust…" permission the credits app declares.
AGENT_PERMISSION_PREFIXES: dict[str, tuple[str, ...]] = {
    "credits": ("view_", "adjust_"),
    "entitlements": ("view_",),
    "mailgateway": ("view_",),
}


def _wanted(app_label: str, codename: str) -> bool:
    return (codename in AGENT_PERMISSIONS.get(app_label, ())
            or codename.startswith(AGENT_PERMISSION_PREFIXES.get(app_label, ("\0",))))


def agents_group_sync(*, apps=None, using: str = "default") -> object:
    """Create the Agents group (if missing) and grant every listed permission that exists."""
    if apps is None:
        from django.apps import apps as global_apps
        apps = global_apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _created = group_model.objects.using(using).get_or_create(name=AGENTS_GROUP)
    apps_labels = set(AGENT_PERMISSIONS) | set(AGENT_PERMISSION_PREFIXES)
    found = permission_model.objects.using(using).filter(
        content_type__app_label__in=list(apps_labels)).select_related("content_type")
    ids = [p.pk for p in found if _wanted(p.content_type.app_label, p.codename)]
    group.permissions.add(*ids)
    return group


def create_missing_permissions(apps, using: str = "default") -> None:
    """Permissions are normally created after migrate; a data migration needs them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None


def on_post_migrate(sender, using="default", apps=None, **kwargs) -> None:
    """After the last installed app has migrated (every permission exists by then)."""
    from django.apps import apps as global_apps

    if apps is None or sender.label != list(global_apps.get_app_configs())[-1].label:
        return
    try:
        apps.get_model("auth", "Group")
    except LookupError:
        return
    agents_group_sync(apps=apps, using=using)
