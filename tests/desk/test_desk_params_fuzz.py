"""Every query parameter of every desk page, with bad values: the page answers (the value
ignored), a 400, a 404 or a redirect, never a 500. The pages come from the URL patterns
the admin site mounts under desk/, so a page added later is fuzzed too."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, reverse

from mailgateway import services as mail_services
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tests.tickets.agent_setup import make_agent

pytestmark = pytest.mark.django_db

BAD_VALUES = ("all", "-1", "99999999999999999999999", "'", "\x00", "a" * 300, "<script>", " ")
PARAMETERS = ("view", "department", "q", "p", "after", "before", "typing", "ticket", "deployment",
              "hardware_item", "module_licence", "body", "macro", "o", "page", "product",
              "status", "priority", "assignee", "due", "credits", "organization")


def desk_patterns() -> list[URLPattern]:
    return [p for p in admin.site.get_urls()
            if isinstance(p, URLPattern) and str(p.pattern).startswith("desk/")]


@pytest.fixture
def world(two_orgs):
    make_agent(two_orgs.agent)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row, _created = mail_services.inbound_message_store(
        raw=raw_email(from_addr="x@unknown.example", subject="?"),
        source=InboundMessage.Source.PIPE)
    mail_services.inbound_message_process(inbound_id=row.pk)
    return {"ticket_id": ticket.pk, "message_id": row.pk, "name": "claim"}


def test_every_desk_page_is_walked(world):
    names = {p.name for p in desk_patterns()}
    assert {"desk_queue", "desk_ticket", "desk_counts", "desk_live", "desk_move",
            "desk_preview", "desk_action", "desk_quarantine", "desk_bulk",
            "desk_earlier"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_bad_parameter_is_a_server_error(two_orgs, world, method):
    client = Client(raise_request_exception=False)
    client.force_login(two_orgs.agent)
    failures = []
    for pattern in desk_patterns():
        kwargs = {k: world[k] for k in pattern.pattern.converters}
        url = reverse(f"admin:{pattern.name}", kwargs=kwargs)
        for name in PARAMETERS:
            for value in BAD_VALUES:
                if method == "get":
                    status = client.get(url, {name: value}).status_code
                else:
                    status = client.post(f"{url}?{name}=x", {name: value, "action": "x"}
                                         ).status_code
                if status >= 500:
                    failures.append((method, url, name, value, status))
    assert not failures, "\n".join(map(repr, failures))
