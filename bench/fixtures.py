"""The benchmark's database and data, kept between runs (`make bench` reuses them).

The database (BENCH_DATABASE_NAME, default bench_helpdesk) is created when missing and
migrated; the ticket volume is loaded by `seed_volume` only when the count is short; the
bench's own people and tickets are created once, through the services, and found again
by their addresses on the next run. Nothing is ever deleted, except the whole database
with `--drop-database` (the test's quick run does that).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlparse, urlunparse

PASSWORD = "bench-pass-2468"
ORGANIZATION = "Bench Customers"
DEPARTMENT = "sipstation-general"
DOMAIN = "bench.example"


@dataclass
class People:
    agent: str
    submitters: list[str]
    my_tickets: str
    inbound: str
    inbound_tickets: list[str]  # ticket numbers to reply to


def database_urls(database_url: str, name: str) -> tuple[str, str]:
    """(maintenance url, bench database url) on the server of DATABASE_URL."""
    parts = urlparse(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("DATABASE_URL must point to PostgreSQL (postgres://…)")
    return (urlunparse(parts._replace(path="/postgres")),
            urlunparse(parts._replace(path=f"/{name}")))


def _admin(admin_url: str, sql: str, params: list | None = None) -> list:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params or [])
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def database_ensure(admin_url: str, name: str) -> bool:
    """Create the bench database when missing; True when it was created."""
    if _admin(admin_url, "SELECT 1 FROM pg_database WHERE datname = %s", [name]):
        return False
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    return True


def database_drop(admin_url: str, name: str) -> None:
    _admin(admin_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}"')


def schema_ensure() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


def volume_ensure(tickets: int, log) -> int:
    """Load tickets with seed_volume until there are at least `tickets`; returns the count."""
    from django.core.management import call_command

    from tickets.models import Ticket

    count = Ticket.objects.count()
    if count < tickets:
        missing = tickets - count
        log(f"seeding {missing:,} tickets (have {count:,}; a million takes ~3-4 minutes)")
        started = time.monotonic()
        call_command("seed_volume", tickets=missing, stdout=sys.stderr)  # stdout: figures
        log(f"seeded in {time.monotonic() - started:.0f} s")
        count = Ticket.objects.count()
    return count


def _contact(email: str, organization, **extra):
    from django.utils import timezone

    from accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=PASSWORD,
                                        organization=organization,
                                        full_name=email.split("@")[0].replace("-", " ").title(),
                                        language="en", details_confirmed_at=timezone.now(),
                                        **extra)
    return user


def _tickets_ensure(user, count: int, department) -> list[str]:
    from tickets import services
    from tickets.models import Ticket

    have = Ticket.objects.filter(requester=user).count()
    for n in range(have, count):
        services.ticket_create(requester=user, department=department,
                               subject=f"Bench ticket {n + 1}: one-way audio on trunk {n % 7}",
                               body="Details of the problem, steps to reproduce.")
    return list(Ticket.objects.filter(requester=user).order_by("id")
                .values_list("number", flat=True)[:count])


# The bench agent's authenticator (staff sign in with a second factor, accounts.two_factor).
AGENT_TOTP_KEY = bytes.fromhex("3132333435363738393031323334353637383930")


def agent_authenticator_ensure(agent) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=agent, name="bench", defaults={
        "key": AGENT_TOTP_KEY.hex(), "confirmed": True})


def totp_key_for(email: str) -> bytes | None:
    """The authenticator key of the bench's agent; None for the contacts."""
    return AGENT_TOTP_KEY if email.startswith("bench-agent@") else None


def people_ensure(*, submitters: int, my_tickets: int, inbound_tickets: int) -> People:
    """The bench's agent and contacts (one organization), and their tickets."""
    from django.contrib.auth.models import Group

    from accounts.models import Organization
    from catalog.models import Department

    organization, _ = Organization.objects.get_or_create(name=ORGANIZATION)
    department = Department.objects.get(code=DEPARTMENT)
    agent = _contact(f"bench-agent@{DOMAIN}", None, is_staff=True)
    agent.groups.add(Group.objects.get(name="Agents"))  # an agent, not a superuser
    agent_authenticator_ensure(agent)
    emails = [_contact(f"bench-submit-{i}@{DOMAIN}", organization).email
              for i in range(submitters)]
    mine = _contact(f"bench-mytickets@{DOMAIN}", organization)
    _tickets_ensure(mine, my_tickets, department)
    inbound = _contact(f"bench-inbound@{DOMAIN}", organization)
    numbers = _tickets_ensure(inbound, inbound_tickets, department)
    return People(agent=agent.email, submitters=emails, my_tickets=mine.email,
                  inbound=inbound.email, inbound_tickets=numbers)


LONG_TICKET_SUBJECT = "Bench long ticket: 200 messages"
LONG_TICKET_MESSAGES = 200


def long_ticket_ensure(people: People) -> int:
    """A ticket of the My Tickets contact with LONG_TICKET_MESSAGES messages (customer
    replies, agent replies and internal notes in turn), for the desk's long-ticket page.
    Loaded like seed_volume's, straight into the table: no email is recorded for them."""
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import Department
    from tickets import services
    from tickets.models import Message, Ticket

    ticket = Ticket.objects.filter(subject=LONG_TICKET_SUBJECT).first()
    if ticket is None:
        ticket = services.ticket_create(
            requester=User.objects.get(email=people.my_tickets),
            department=Department.objects.get(code=DEPARTMENT), subject=LONG_TICKET_SUBJECT,
            body="The first message of a long conversation.")
    have = ticket.messages.count()
    if have < LONG_TICKET_MESSAGES:
        agent = User.objects.get(email=people.agent)
        start = timezone.now()  # after the ticket's first message, in the order written
        kinds = (Message.Kind.CUSTOMER, Message.Kind.AGENT, Message.Kind.NOTE)
        Message.objects.bulk_create([Message(
            ticket=ticket, kind=kinds[n % 3],
            author=ticket.requester if n % 3 == 0 else agent,
            body=f"Message {n}: the trunk dropped calls again at {n % 24:02d}:00.\n" * 3,
            created_at=start + dt.timedelta(milliseconds=n)) for n in range(have, LONG_TICKET_MESSAGES)])
    return ticket.pk


def desk_filter_paths(desk: str) -> list[str]:
    """The desk queue's filters, alone and with a view (desk.views.QueueParams)."""
    from catalog.models import Department

    products = sorted(set(Department.objects.values_list("product_id", flat=True)))
    return ([f"{desk}?view=all&product={p}" for p in products]
            + [f"{desk}?view=all&status=on_hold", f"{desk}?view=all&priority=4",
               f"{desk}?view=unassigned&priority=3", f"{desk}?view=all&assignee=none",
               f"{desk}?view=all&due=soon", f"{desk}?view=all&due=breached",
               f"{desk}?view=all&credits=used&status=open"])
