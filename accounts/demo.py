"""Demo organizations, contacts and staff of demo-data.md. Idempotent."""

from django.utils import timezone

from .models import Organization, User

DEMO_PASSWORD = "demo-pass-2468"

CONTACTS = [
    # email, organization, full name, role, confirmed details already
    ("maria@acme.example", "Acme Telecom", "María García", User.Role.ORG_ADMIN, True),
    ("juan@acme.example", "Acme Telecom", "Juan Pérez", User.Role.CONTACT, False),
    ("ana@globex.example", "Globex Networks", "Ana Souza", User.Role.ORG_ADMIN, True),
    ("luis@initech.example", "Initech Voz", "Luis Romero", User.Role.ORG_ADMIN, True),
]
STAFF = [
    ("agent@helpdesk.example", "Alex Agent", False),
    ("admin@helpdesk.example", "Ada Admin", True),
]


def _user(email: str, **fields) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, **fields)
    return user


def _agents_group_join(user: User) -> None:
    """Staff demo users work tickets: they belong to the "Agents" group (a migration
    creates it)."""
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name="Agents").first()
    if group is not None:
        user.groups.add(group)


def load() -> dict:
    orgs = {name: Organization.objects.get_or_create(name=name)[0]
            for name in ("Acme Telecom", "Globex Networks", "Initech Voz")}
    users = {}
    for email, org, name, role, confirmed in CONTACTS:
        users[email] = _user(email, organization=orgs[org], full_name=name, role=role,
                             language="es", time_zone="America/Mexico_City",
                             details_confirmed_at=timezone.now() if confirmed else None)
    for email, name, superuser in STAFF:
        users[email] = _user(email, full_name=name, is_staff=True, is_superuser=superuser,
                             language="en", details_confirmed_at=timezone.now())
        if not superuser:
            _agents_group_join(users[email])
    return {"organizations": orgs, "users": users}


LOGINS = [email for email, *_ in CONTACTS] + [email for email, *_ in STAFF]
