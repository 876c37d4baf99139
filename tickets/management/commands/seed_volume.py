"""Load a large synthetic volume of tickets for load testing the agent workspace.

    python manage.py seed_volume --tickets 1000000

Organizations, contacts, a few agents, then tickets (with explicit ids), three messages per
ticket and their audit events (created; resolved for the resolved ones). PostgreSQL gets COPY in large batches; other databases bulk_create. Not for
production databases: it adds rows, it never deletes any.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import random
import time
import uuid

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization, User
from catalog.models import Department
from tickets.models import Message, Ticket, TicketEvent

TOPICS = ["One-way audio", "No ringback", "Registration failing", "Call drops",
          "Fax not received", "Voicemail to email", "Trunk down", "Echo on calls",
          "Provisioning error", "License activation", "Queue callback", "IVR loop",
          "Firmware upgrade", "Backup restore", "Certificate expired", "DTMF not detected",
          "Call recording missing", "Hold music silent", "Time conditions wrong",
          "Outbound caller ID", "SIP 403 Forbidden", "High CPU usage", "Disk full",
          "Extension locked", "Paging not working", "Intercom delay", "BLF not updating",
          "Conference bridge", "Transfer fails", "Codec mismatch"]
PLACES = ["main office", "branch", "warehouse", "call center", "reception", "datacenter",
          "remote workers", "sales floor", "headquarters", "lab"]
STATUS_WEIGHTS = [(Ticket.Status.RESOLVED, 70), (Ticket.Status.OPEN, 10),
                  (Ticket.Status.NEW, 8), (Ticket.Status.WAITING_CUSTOMER, 7),
                  (Ticket.Status.ON_HOLD, 5)]
TICKET_COLUMNS = ["id", "number", "organization_id", "requester_id", "department_id", "subject",
                  "status", "priority", "assignee_id", "paying_organization_id",
                  "submission_key", "created_at", "updated_at", "last_activity_at",
                  "waiting_since", "resolved_at",
                  # service level (sla): an 8-hour first-response target, calendar hours
                  "sla_reason", "resolution_elapsed_minutes", "sla_due_kind",
                  "first_responded_at", "first_response_due_at", "sla_due_at", "sla_risk_at"]
SLA_TARGET = dt.timedelta(hours=8)
MESSAGE_COLUMNS = ["id", "ticket_id", "author_id", "author_email", "kind", "source", "body",
                   "created_at"]
EVENT_COLUMNS = ["ticket_id", "actor_id", "kind", "data", "created_at"]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = json.dumps(value) if isinstance(value, dict) else str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _events(row: list, codes: dict[int, str]) -> list[list]:
    """The audit events a ticket of this row would have: created by its requester, and
    resolved by its assignee when it is resolved. codes: department id -> code."""
    ticket_id, requester_id, department_id = row[0], row[3], row[4]
    assignee_id, created, resolved = row[8], row[11], row[15]
    events = [[ticket_id, requester_id, TicketEvent.Kind.CREATED,
               {"department": codes[department_id], "source": "seed_volume"}, created]]
    if resolved is not None:
        events.append([ticket_id, assignee_id, TicketEvent.Kind.RESOLVED, {"old": "open"},
                       resolved])
    return events


class Command(BaseCommand):
    help = "Bulk-load synthetic tickets and messages (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True)
        parser.add_argument("--messages-per-ticket", type=int, default=3)
        parser.add_argument("--organizations", type=int, default=0,
                            help="default: one per 200 tickets")
        parser.add_argument("--contacts-per-organization", type=int, default=3)
        parser.add_argument("--agents", type=int, default=20)
        parser.add_argument("--batch", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep-indexes", dest="defer_indexes", action="store_false",
                            help="PostgreSQL: keep the secondary indexes during the load "
                                 "(default: drop them and build them again afterwards, "
                                 "several times faster)")

    def handle(self, *args, **opts):
        if opts["tickets"] <= 0:
            raise CommandError("--tickets must be positive")
        self.rng = random.Random(opts["seed"])
        self.now = timezone.now()
        departments = list(Department.objects.filter(is_active=True))
        if not departments:
            raise CommandError("No departments: run migrate first (the catalogue is seeded).")
        started = time.monotonic()
        orgs_n = opts["organizations"] or max(1, opts["tickets"] // 200)
        contacts = self._people(orgs_n, opts["contacts_per_organization"])
        agents = self._agents(opts["agents"])
        self.stdout.write(f"{orgs_n} organizations, {len(contacts)} contacts, "
                          f"{len(agents)} agents ({time.monotonic() - started:.1f}s)")
        dropped = self._indexes_drop() if opts["defer_indexes"] else []
        try:
            with self._fast_load():
                self._tickets(opts, departments, contacts, agents)
        finally:
            self._indexes_create(dropped)
        self._sequences_reset()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # every table the load wrote: a plan made on a table never analyzed
                # guesses (an event query hashed the whole user table: 3.5 ms a page)
                for table in ("tickets_ticket", "tickets_message", "tickets_ticketevent",
                              "accounts_organization", "accounts_user"):
                    cursor.execute(f"ANALYZE {table}")
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {opts['tickets']} tickets and "
            f"{opts['tickets'] * opts['messages_per_ticket']} messages in "
            f"{time.monotonic() - started:.1f}s"))

    # --- people ------------------------------------------------------------------------

    def _people(self, orgs_n: int, per_org: int) -> list[tuple[int, int]]:
        tag = uuid.uuid4().hex[:6]
        password = make_password(None)
        orgs = Organization.objects.bulk_create(
            [Organization(name=f"Volume {tag} Org {i:07d}") for i in range(orgs_n)],
            batch_size=5000)
        if orgs[0].pk is None:  # backends that do not return ids
            orgs = list(Organization.objects.filter(name__startswith=f"Volume {tag} "))
        users = [User(email=f"c{j}.o{i}.{tag}@volume.example", full_name=f"Contact {j} {i}",
                      organization_id=org.pk, password=password, language="en",
                      details_confirmed_at=self.now)
                 for i, org in enumerate(orgs) for j in range(per_org)]
        User.objects.bulk_create(users, batch_size=5000)
        return list(User.objects.filter(email__endswith=f".{tag}@volume.example")
                    .values_list("pk", "organization_id"))

    def _agents(self, count: int) -> list[int]:
        tag = uuid.uuid4().hex[:6]
        password = make_password(None)
        User.objects.bulk_create(
            [User(email=f"agent{i}.{tag}@volume.example", full_name=f"Volume Agent {i}",
                  is_staff=True, password=password, language="en",
                  details_confirmed_at=self.now) for i in range(count)])
        return list(User.objects.filter(email__endswith=f".{tag}@volume.example")
                    .values_list("pk", flat=True))

    # --- tickets and messages ----------------------------------------------------------

    def _numbers(self, count: int) -> list[str]:
        taken = set(Ticket.objects.values_list("number", flat=True).iterator(chunk_size=20_000))
        rng, numbers = self.rng, []
        while len(numbers) < count:
            number = (f"{''.join(rng.choices(LETTERS, k=3))}-{rng.randrange(1000):03d}-"
                      f"{rng.randrange(100000):05d}")
            if number not in taken:
                taken.add(number)
                numbers.append(number)
        return numbers

    def _tickets(self, opts, departments, contacts, agents) -> None:
        total, batch = opts["tickets"], opts["batch"]
        numbers = self._numbers(total)
        ticket_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        message_id = (Message.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        statuses = [s for s, _w in STATUS_WEIGHTS]
        weights = [w for _s, w in STATUS_WEIGHTS]
        rng, started = self.rng, time.monotonic()
        codes = {d.pk: d.code for d in departments}
        for offset in range(0, total, batch):
            tickets, messages, events = [], [], []
            for number in numbers[offset:offset + batch]:
                row, msgs = self._ticket_row(ticket_id, number, rng.choices(statuses, weights)[0],
                                             departments, contacts, agents,
                                             opts["messages_per_ticket"], message_id)
                tickets.append(row)
                messages.extend(msgs)
                events.extend(_events(row, codes))
                ticket_id += 1
                message_id += len(msgs)
            self._write("tickets_ticket", Ticket, TICKET_COLUMNS, tickets)
            self._write("tickets_message", Message, MESSAGE_COLUMNS, messages)
            self._write("tickets_ticketevent", TicketEvent, EVENT_COLUMNS, events)
            done = min(offset + batch, total)
            self.stdout.write(f"  {done} tickets ({time.monotonic() - started:.1f}s)")

    def _ticket_row(self, ticket_id, number, status, departments, contacts, agents,
                    per_ticket, message_id):
        rng, now = self.rng, self.now
        requester_id, org_id = rng.choice(contacts)
        created = now - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        last = min(now, created + dt.timedelta(minutes=rng.randrange(14 * 24 * 60)))
        resolved = status == Ticket.Status.RESOLVED
        waiting = last if status in (Ticket.Status.NEW, Ticket.Status.OPEN) else None
        assignee = None if status == Ticket.Status.NEW or rng.random() < 0.1 else rng.choice(agents)
        subject = f"{rng.choice(TOPICS)} at the {rng.choice(PLACES)} #{rng.randrange(10**6)}"
        msgs, step = [], (last - created) / max(per_ticket, 1)
        answered = (created + step if per_ticket >= 2 and status != Ticket.Status.NEW
                    else None)
        due = waiting + SLA_TARGET if waiting is not None else None
        row = [ticket_id, number, org_id, requester_id, rng.choice(departments).pk, subject,
               status, rng.choice((1, 2, 2, 2, 3, 4)), assignee, org_id, uuid.uuid4(),
               created, last, last, waiting, last if resolved else None,
               "no_contract", 0,
               ("next_response" if answered else "first_response") if due else "",
               answered, created + SLA_TARGET, due,
               waiting + SLA_TARGET * 0.75 if waiting is not None else None]
        for k in range(per_ticket):
            agent_turn = k % 2 == 1
            msgs.append([message_id + k, ticket_id,
                         (assignee or agents[0]) if agent_turn else requester_id, "",
                         Message.Kind.AGENT if agent_turn else Message.Kind.CUSTOMER,
                         Message.Source.ADMIN if agent_turn else Message.Source.EMAIL,
                         f"Message {k + 1} about: {subject}\nSteps to reproduce follow.",
                         created + step * k])
        return row, msgs

    def _write(self, table: str, model, columns: list[str], rows: list[list]) -> None:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_value(v) for v in row))
                buffer.write("\n")
            buffer.seek(0)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.cursor.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
            return
        objects = [model(**{c: v for c, v in zip(columns, row, strict=True)}) for row in rows]
        model.objects.bulk_create(objects, batch_size=2000)

    # --- PostgreSQL: build secondary indexes once, after the load ------------------------

    @contextlib.contextmanager
    def _fast_load(self):
        """PostgreSQL: no wait for WAL flushes, and (for a superuser) no per-row foreign-key
        triggers — the generated rows reference only rows created above."""
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
                replica = True
            except DatabaseError:
                replica = False  # not a superuser: keep the checks
        self.stdout.write("  foreign-key triggers off for the load" if replica
                          else "  foreign-key checks kept (not a superuser)")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
                cursor.execute("RESET synchronous_commit")

    def _indexes_drop(self) -> list[tuple[str, str]]:
        """Drop the non-unique indexes of the big tables; return their definitions."""
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename IN ('tickets_ticket', 'tickets_message', 'tickets_ticketevent') "
                "AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%%'")
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        self.stdout.write(f"  dropped {len(indexes)} secondary indexes for the load")
        return indexes

    def _indexes_create(self, indexes: list[tuple[str, str]]) -> None:
        if not indexes:
            return
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ",
                                                  1))
        self.stdout.write(f"  rebuilt {len(indexes)} indexes ({time.monotonic() - started:.1f}s)")

    def _sequences_reset(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table in ("tickets_ticket", "tickets_message"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
