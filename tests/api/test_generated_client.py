"""A client generated from the schema (openapi-python-client, at test time) drives a live
server: a contact opens a ticket with an attachment, replies and reads the balance; an
agent logs time."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from tests.api.conftest import token_client
from tests.factories.credits import book
from tickets.models import Ticket, TimeEntry

pytestmark = pytest.mark.integration
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated(tmp_path, monkeypatch):
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (dev dependencies)")
    schema = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema),
                 "--lang", "en")
    subprocess.run([str(GENERATOR), "generate", "--path", str(schema), "--output-path",
                    str(tmp_path / "client"), "--meta", "none"], check=True,
                   capture_output=True, timeout=300)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module("client")


def test_a_generated_client_opens_replies_reads_and_logs_time(live_server, transactional_db,
                                                              two_orgs, generated):
    from client import AuthenticatedClient
    from client.api.agent import agent_tickets_time_create
    from client.api.credits_ import credits_retrieve
    from client.api.tickets import tickets_create, tickets_messages_create
    from client.models import ReplyRequest, TicketCreateRequest, TimeLogRequest
    from client.types import File

    book(two_orgs.acme, 300)
    two_orgs.agent.groups.add(Group.objects.get(name="Agents"))
    maria = AuthenticatedClient(base_url=live_server.url,
                                token=token_client(two_orgs.maria).secret)
    agent = AuthenticatedClient(base_url=live_server.url,
                                token=token_client(two_orgs.agent).secret)

    created = tickets_create.sync_detailed(client=maria, idempotency_key=str(uuid.uuid4()),
                                           body=TicketCreateRequest(
        department="sipstation-general", subject="Generated", message="From the client.",
        attachments=[File(payload=io.BytesIO(b"SIP/2.0 200 OK\n"), file_name="trace.txt",
                          mime_type="text/plain")]))
    assert created.status_code == 201, created.content
    number = created.parsed.number
    assert created.parsed.messages[0].attachments[0].original_name == "trace.txt"

    reply = tickets_messages_create.sync_detailed(number, client=maria,
                                                  body=ReplyRequest(body="More."))
    assert reply.status_code == 201, reply.content
    balance = credits_retrieve.sync(client=maria)
    assert balance.balance_minutes == 300

    entry = agent_tickets_time_create.sync_detailed(number, client=agent,
                                                    body=TimeLogRequest(minutes=15))
    assert entry.status_code == 201, entry.content
    assert Ticket.objects.get(number=number).messages.count() == 2
    assert TimeEntry.objects.get().minutes == 15
