"""Route-wide access test: EVERY URL pattern of the resolver (walked recursively, so a new
route cannot be forgotten; the ESP webhooks mounted too) × anonymous, another
organization's contact, a plain colleague, an organization admin and an agent, by GET and by
POST, with the path parameters filled with the victim's real objects (the other
organization's for the organization admin, María's for the colleague, Acme's for the others).

Every refused request (404, 403, 401, 400, 405, or a redirect to a login page) must change
nothing in the database (a hash of every row of every project table, before and after). A
request that is answered must not show the victim's data (unique markers in the subject,
text, file name and e-mail address) and must leave the victim's rows alone. An agent may
see what the Agents group's permissions give (the admin pages of those models).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldError
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Organization, User
from credits.models import CreditAccount
from mailgateway import services as mail_services
from mailgateway.models import InboundMessage, OutboundMessage
from tests.factories import (
    BillingResponsibilityFactory,
    DeploymentFactory,
    HardwareItemFactory,
    ModuleLicenceFactory,
    SupportContractFactory,
    TicketFactory,
    UserFactory,
    upload,
)
from tests.factories.credits import book
from tests.factories.mailgateway import raw_email
from tests.support.urlconf import reload_urlconf
from tickets import participant_services
from tickets.models import Attachment, Message, Ticket, TicketParticipant

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other_org", "colleague", "org_admin", "agent")
PROJECT_APPS = ("accounts", "catalog", "credits", "entitlements", "sla", "tickets", "mailgateway",
                "outbox", "auth")
WEBHOOKS = {"MAIL_WEBHOOKS_ENABLED": True, "MAIL_WEBHOOK_PROVIDERS": ["mailgun", "postmark"],
            "ANYMAIL": {"WEBHOOK_SECRET": "hook:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}}
REFUSED_CODES = (400, 401, 403, 404, 405)
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


# --- the routes ------------------------------------------------------------------------

def routes(resolver=None, prefix: str = "") -> list[str]:
    """Every URL pattern's full route, recursively."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(routes(pattern, route))
        else:
            assert isinstance(pattern, URLPattern)
            found.append(route)
    return found


def concrete(route: str, values: dict) -> str:
    """The route with its parameters filled, regex anchors and optional groups removed."""
    def fill(match):
        name = match.group(1) or match.group(2)
        return str(values[name])

    url = route.replace("^", "").replace("$", "").replace("\\", "")
    url = _GROUP.sub(fill, url)
    url = re.sub(r"\([^)]*\)\?", "", url)
    return "/" + url


# --- the world -------------------------------------------------------------------------

@dataclass
class Victim:
    organization: Organization
    requester: User
    ticket: Ticket
    markers: tuple
    objects: dict = field(default_factory=dict)


def victim(organization: Organization, requester: User, tag: str) -> Victim:
    subject, body, name = f"VSUBJ{tag}QX", f"VBODY{tag}QX", f"vfile{tag}qx.txt"
    deployment = DeploymentFactory(organization=organization, code=f"DEP-{tag}")
    SupportContractFactory(deployment=deployment)
    HardwareItemFactory(organization=organization)
    ModuleLicenceFactory(deployment=deployment)
    BillingResponsibilityFactory(organization=organization, code=f"BR-{tag}")
    book(organization, 300)
    ticket = TicketFactory.create(requester=requester, subject=subject, body=body,
                                  files=[upload(name, content=f"VDATA{tag}QX".encode())])
    row, _created = mail_services.inbound_message_store(
        raw=raw_email(from_addr=requester.email, subject=f"Re: {ticket.subject_tag}",
                      body=f"{body} by mail"), source=InboundMessage.Source.PIPE)
    mail_services.inbound_message_process(inbound_id=row.pk)
    message = ticket.messages.filter(source=Message.Source.EMAIL).get()
    return Victim(organization=organization, requester=requester, ticket=ticket,
                  markers=(subject, body, name, f"VDATA{tag}QX", requester.email),
                  objects={"message": message,
                           "attachment": Attachment.objects.filter(
                               message__ticket=ticket).first(),
                           "inbound": row})


ORG_LOOKUPS = ("organization", "ticket__organization", "account__organization",
               "deployment__organization", "message__ticket__organization",
               "redeemed_account__organization")


def victim_object(model, v: Victim):
    """The victim's instance of `model`, else a shared one (catalogue, plans, groups)."""
    known = {Ticket: v.ticket, Organization: v.organization, User: v.requester,
             Message: v.objects["message"], Attachment: v.objects["attachment"],
             InboundMessage: v.objects["inbound"]}
    if model in known:
        return known[model]
    for lookup in ORG_LOOKUPS:
        try:
            found = model.objects.filter(**{lookup: v.organization}).order_by("pk").first()
        except FieldError:
            continue
        if found is not None:
            return found
    return model.objects.order_by("pk").first()


def values_for(route: str, v: Victim) -> dict:
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    model = None
    if match:
        try:
            model = apps.get_model(match[1], match[2])
        except LookupError:
            model = None
    target = victim_object(model, v) if model is not None else v.ticket
    return {
        "number": v.ticket.number, "attachment_id": v.objects["attachment"].pk,
        "ticket_id": v.ticket.pk, "message_id": v.objects["message"].pk,
        "object_id": target.pk if target is not None else 999999,
        "id": v.requester.pk, "contact_id": v.requester.pk, "token_id": 1, "entry_id": 999999,
        "inbound_id": v.objects["inbound"].pk, "order_id": 999999, "contract_id": 999999,
        "webhook_id": 999999,
        "pk": CreditAccount.objects.get(organization=v.organization).pk,
        "content_type_id": ContentType.objects.get_for_model(Ticket).pk,
        "code": "freepbx-configuration", "app_label": "tickets", "url": "no-such-page/",
        "name": "claim",  # an action of the agent desk (/admin/desk/ticket/<id>/do/<name>/)
        "uidb64": urlsafe_base64_encode(force_bytes(v.requester.pk)), "token": "set-password",
        "slug": "backlog",  # a report (reports app)
    }


@dataclass
class World:
    users: dict
    victims: dict


@pytest.fixture
def world(two_orgs) -> World:
    two_orgs.agent.groups.add(Group.objects.get(name="Agents"))
    acme = victim(two_orgs.acme, two_orgs.maria, "acme")
    globex = victim(two_orgs.globex, two_orgs.ana, "globex")
    # The colleague of Acme follows a ticket of his own, so that his pages are not empty.
    own = TicketFactory.create(requester=UserFactory(organization=two_orgs.acme),
                               subject="Juan follows this one")
    participant_services.ticket_participant_add(
        ticket=own, contact=two_orgs.juan, actor=own.requester,
        source=TicketParticipant.Source.SITE)
    users = {"anonymous": None, "other_org": two_orgs.ana, "colleague": two_orgs.juan,
             "org_admin": two_orgs.maria, "agent": two_orgs.agent}
    victims = {"anonymous": acme, "other_org": acme, "colleague": acme, "org_admin": globex,
               "agent": acme}
    return World(users=users, victims=victims)


@pytest.fixture
def webhooks_mounted():
    with override_settings(**WEBHOOKS):
        reload_urlconf()
        yield
    reload_urlconf()


# --- the database ----------------------------------------------------------------------

# The signed-in user's own session bookkeeping (like Django's session table): a sign-out
# that redirects to the login page ends the caller's session, which is not a refused change.
OWN_SESSION_MODELS = ("accounts.UserSession",)


def _models():
    return [model for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in PROJECT_APPS and model._meta.managed
            and model._meta.label not in OWN_SESSION_MODELS]


def snapshot(models=None) -> dict[str, str]:
    """A hash of every row of every project table (auth's last_login excluded: signing in
    is not a change the request made)."""
    digests = {}
    for model in models or _models():
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        digest = hashlib.sha256()
        for row in model._base_manager.order_by("pk").values_list(*names):
            digest.update(repr([bytes(value) if isinstance(value, memoryview) else value
                                for value in row]).encode())
        digests[model._meta.label] = digest.hexdigest()
    return digests


VICTIM_MODELS = ("tickets.Ticket", "tickets.Message", "tickets.Attachment",
                 "tickets.TicketEvent", "tickets.TicketParticipant", "tickets.TimeEntry",
                 "credits.CreditAccount", "credits.LedgerEntry", "mailgateway.InboundMessage",
                 "entitlements.Deployment", "accounts.Organization")


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


# --- the requests ----------------------------------------------------------------------

def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.split("?")[0].endswith(LOGIN_PATHS)


def admin_model(url: str):
    match = re.match(r"/admin/(\w+)/(\w+)/", url)
    if not match:
        return None
    try:
        return apps.get_model(match[1], match[2])
    except LookupError:
        return None


def agent_may_see(user, url: str) -> bool:
    """The admin pages of a model the agent's permissions cover (view or change), and the
    agents' API (/api/v1/agent/: every ticket, as in the admin)."""
    if url.startswith("/api/v1/agent/"):
        return user.has_perm("tickets.view_ticket")
    if not url.startswith("/admin/"):
        return False
    model = admin_model(url)
    if model is None:
        return True  # index, app list, overview, password change: no victim data
    opts = model._meta
    return any(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
               for action in ("view", "change"))


class Database:
    """The project tables' snapshot, taken again only when something may have been written:
    SQLite counts every row its connection changed, PostgreSQL every row the transaction
    (the test's) inserted, updated or deleted."""

    def __init__(self):
        self.rows = snapshot()
        self.writes = self._writes()

    @staticmethod
    def _writes() -> int | None:
        from django.db import connection

        if connection.vendor == "sqlite":
            connection.ensure_connection()
            return connection.connection.total_changes
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                               "FROM pg_stat_xact_user_tables")
                return int(cursor.fetchone()[0])
        return None

    def changes(self) -> list[str]:
        """The tables changed since the last call."""
        writes = self._writes()
        if writes is not None and writes == self.writes:
            return []
        rows = snapshot()
        changed = _changed(self.rows, rows)
        self.rows, self.writes = rows, writes
        return changed


def _signed_in(client, user) -> None:
    if user is not None and client.session.get("_auth_user_id") != str(user.pk):
        client.force_login(user)


def check(client, db: Database, method: str, url: str, user, v: Victim) -> list[str]:
    _signed_in(client, user)
    db.changes()  # signing in is not the request's change
    response = getattr(client, method)(url, {})
    changed = db.changes()
    if response.status_code in REFUSED_CODES or is_login_redirect(response):
        return [f"{method.upper()} {url} -> {response.status_code} refused but changed "
                f"{changed}"] if changed else []
    problems = []
    changed = [name for name in changed if name in VICTIM_MODELS]
    if changed:
        problems.append(f"{method.upper()} {url} -> {response.status_code} changed the "
                        f"victim's {changed}")
    if response.status_code >= 500:
        problems.append(f"{method.upper()} {url} -> {response.status_code}")
    if user is not None and user.is_staff and agent_may_see(user, url):
        return problems
    body = b"".join(response.streaming_content) if response.streaming else response.content
    body += repr(sorted(response.headers.items())).encode()
    leaked = [marker for marker in v.markers if marker.encode() in body]
    if leaked:
        problems.append(f"{method.upper()} {url} -> {response.status_code} shows {leaked}")
    return problems


def test_the_walk_reaches_every_pattern(webhooks_mounted, world):
    """Each walked route, filled, resolves back to itself (none is skipped or mis-filled)."""
    all_routes = routes()
    v = world.victims["colleague"]
    for route in all_routes:
        url = concrete(route, values_for(route, v))
        assert resolve(url).route.replace("^", "") == route.replace("^", ""), (route, url)
    assert len(all_routes) >= 190
    assert any(route.startswith("mail/anymail/") for route in all_routes)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_without_changing_anything(client, webhooks_mounted, world, role):
    user, v = world.users[role], world.victims[role]
    problems, requests, db = [], 0, Database()
    for route in routes():
        url = concrete(route, values_for(route, v))
        for method in ("get", "post"):
            problems.extend(check(client, db, method, url, user, v))
            requests += 1
    assert requests >= 380
    assert not problems, "\n".join(problems)


def test_outbound_rows_of_the_victim_exist(world):
    """The world is what the walk needs: a ticket with an attachment, an emailed reply and
    the mail we sent about it."""
    v = world.victims["colleague"]
    assert OutboundMessage.objects.filter(ticket=v.ticket).exists()
    assert v.objects["attachment"] is not None
