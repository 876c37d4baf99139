"""Who sees the reports: superusers and staff members of the "Support managers" group (a
migration creates it; staff add people to it in the admin)."""

SUPPORT_MANAGERS = "Support managers"


def may_see_reports(user) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=SUPPORT_MANAGERS).exists()
