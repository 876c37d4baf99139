"""The desk's ticket page (/admin/desk/ticket/N/), ported from the admin's former ticket
page: conversation, reply and note, canned replies, time, changes, history, side panel,
the original email, attachments. Every action posts to its own URL and names itself."""

import pytest
from django.urls import reverse

from credits.models import LedgerEntry
from tests.factories import TicketFactory, department, upload
from tests.tickets.agent_setup import freepbx_configuration_ticket
from tickets import services
from tickets.models import CannedReply, Message, Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db


def page(ticket) -> str:
    return reverse("admin:desk_ticket", args=[ticket.pk])


def post(client, ticket, name: str, data: dict | None = None, **kwargs):
    return client.post(reverse("admin:desk_action", args=[ticket.pk, name]),
                       {"action": name, **(data or {})}, **kwargs)


def test_the_admin_ticket_page_opens_the_ticket_on_the_desk(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    response = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == 302 and response["Location"] == page(ticket)


def test_conversation_oldest_first_with_every_kind_visibly_different(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, body="First <b>message</b>",
                                  files=[upload("trace.pcap")])
    services.agent_reply_create(ticket=ticket, agent=two_orgs.agent, body="Agent answer")
    services.agent_reply_create(ticket=ticket, agent=two_orgs.agent, body="Secret note",
                                internal=True)
    services.ticket_reply_create(ticket=ticket, author=None, author_email="mailer@x.example",
                                 body="Undeliverable", kind=Message.Kind.DELIVERY_FAILURE)
    html = agent_client.get(page(ticket)).content.decode()
    order = [html.index(t) for t in ("First &lt;b&gt;message&lt;/b&gt;", "Agent answer",
                                     "Secret note", "Undeliverable")]
    assert order == sorted(order)
    for css in ("msg-customer", "msg-agent", "msg-note", "msg-delivery_failure"):
        assert css in html
    assert "never sent to the customer" in html
    assert "trace.pcap" in html
    assert "<b>message</b>" not in html  # customer text is escaped


def test_reply_from_the_page_emails_the_customer(agent_client, two_orgs, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_client, ticket, "reply", {
            "kind": "reply", "body": "Fixed on our side.", "send_anyway": "on",
            "files": [upload("fix.txt"), upload("log.txt")]})
    assert response.status_code == 302
    message = ticket.messages.get(kind=Message.Kind.AGENT)
    assert message.attachments.count() == 2
    assert len(mailoutbox) == 1 and f"[#{ticket.number}]" in mailoutbox[0].subject


def test_internal_note_from_the_page_is_not_emailed(agent_client, two_orgs, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(agent_client, ticket, "reply", {"kind": "note", "body": "FYI",
                                             "seen_message": ticket.messages.get().pk})
    assert ticket.messages.filter(kind=Message.Kind.NOTE).count() == 1
    assert mailoutbox == []


def test_the_departments_canned_replies_are_offered(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    canned = CannedReply.objects.create(title="SIP trace", body="Please send a SIP trace.")
    CannedReply.objects.create(title="Fax only", body="x",
                               department=department("faxstation-general"))
    html = agent_client.get(page(ticket)).content.decode()
    assert "SIP trace" in html and "Fax only" not in html
    assert f'id="canned-{canned.pk}"' in html and "Please send a SIP trace." in html


def test_log_time_shows_balance_warning_and_total(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    html = agent_client.get(page(paid.ticket)).content.decode()
    assert 'id="balance" class="">420<' in html
    post(agent_client, paid.ticket, "time", {"minutes": 25, "note": "trunk"})
    html = agent_client.get(page(paid.ticket)).content.decode()
    assert 'id="balance" class="">395<' in html and 'id="ticket-minutes">25<' in html


def test_reverse_time_from_the_page(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    entry = services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=30)
    post(agent_client, paid.ticket, "reverse", {"entry": entry.pk, "reason": "duplicate"})
    assert TimeEntry.objects.filter(reverses=entry, minutes=-30).exists()
    assert LedgerEntry.objects.filter(idempotency_key=f"time-reverse:{entry.pk}").exists()


def test_update_form_changes_each_field_with_an_audit_event(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    post(agent_client, ticket, "update", {
        "status": "on_hold", "priority": Ticket.Priority.HIGH,
        "assignee": two_orgs.agent.pk, "department": department("faxstation-general").pk,
        "reason": "fax question"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.department.code) == (
        "on_hold", Ticket.Priority.HIGH, two_orgs.agent, "faxstation-general")
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {TicketEvent.Kind.STATUS_CHANGED, TicketEvent.Kind.PRIORITY_CHANGED,
            TicketEvent.Kind.ASSIGNED, TicketEvent.Kind.DEPARTMENT_CHANGED} <= kinds
    html = agent_client.get(page(ticket)).content.decode()
    # The history in sentences, the agent's reason for the move kept internal to agents.
    assert "Alex Agent moved it from SIPStation General Support to FAXStation General Support" \
        in html and "changed the priority from Normal to High" in html


def test_side_panel_shows_contract_warranty_and_maintenance(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    html = agent_client.get(page(paid.ticket)).content.decode()
    contract = paid.deployment.contracts.get()
    assert "DEP-1001" in html and "Test Standard" in html
    assert f"{contract.plan}: " in html and str(contract.ends_on.year) in html


def test_a_refused_department_change_shows_the_reason(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    closed = department("faxstation-general")
    closed.is_active = False
    closed.save()
    response = post(agent_client, ticket, "update", {
        "status": "new", "priority": 2, "assignee": "", "department": closed.pk})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.department.code == "sipstation-general"
    assert 'id="desk-update"' in response.content.decode()


def test_a_customer_cannot_open_the_workspace(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    client.force_login(two_orgs.maria)
    response = client.get(page(ticket))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_original_of_an_emailed_message_is_shown_escaped(agent_client, two_orgs):
    from mailgateway.models import InboundMessage

    ticket = TicketFactory.create(requester=two_orgs.maria)
    message = services.ticket_reply_create(ticket=ticket, author=two_orgs.maria,
                                           body="By mail", source=Message.Source.EMAIL)
    raw = (b"From: maria@acme.example\r\nSubject: Re: [#" + ticket.number.encode()
           + b"]\r\n\r\n<script>alert(1)</script>\r\n")
    InboundMessage.objects.create(dedupe_key="k" * 64, raw=raw, size_bytes=len(raw),
                                  source=InboundMessage.Source.PIPE, ticket=ticket,
                                  ticket_message=message, status="threaded")
    html = agent_client.get(page(ticket)).content.decode()
    url = reverse("admin:tickets_ticket_original_email", args=[ticket.pk, message.pk])
    assert url in html
    original = agent_client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in original
    assert "<script>alert(1)</script>" not in original
    first = ticket.messages.order_by("id").first()  # came by the web: no original
    assert agent_client.get(reverse("admin:tickets_ticket_original_email",
                                    args=[ticket.pk, first.pk])).status_code == 404


def test_logging_time_that_overdraws_warns_the_agent(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    response = post(agent_client, paid.ticket, "time", {"minutes": 500}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert "500 minutes logged." in texts
    assert "The organization's credits are overdrawn: -80 minutes." in texts


def test_department_field_answers_are_shown(agent_client, two_orgs):
    from catalog.models import DepartmentField

    field = DepartmentField.objects.create(department=department("sipstation-general"),
                                           key="trunk", label_es="Troncal", label_en="Trunk")
    ticket = TicketFactory.create(requester=two_orgs.maria, field_values={field: "SIP-77"})
    html = agent_client.get(page(ticket)).content.decode()
    assert "SIP-77" in html


def test_claim_and_resolve_buttons(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    html = agent_client.get(page(ticket)).content.decode()
    assert 'value="claim"' in html and 'value="resolve"' in html
    post(agent_client, ticket, "claim")
    ticket.refresh_from_db()
    assert ticket.assignee == two_orgs.agent and ticket.status == Ticket.Status.OPEN
    post(agent_client, ticket, "resolve")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    html = agent_client.get(page(ticket)).content.decode()
    assert 'value="claim"' not in html and 'value="resolve"' not in html
    response = post(agent_client, ticket, "resolve", follow=True)
    assert "This ticket is already resolved." in [str(m) for m in response.context["messages"]]


def test_an_unknown_action_is_refused(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    assert post(agent_client, ticket, "delete").status_code == 403


def test_agents_download_attachments_from_the_ticket_page(agent_client, client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria,
                                  files=[upload("<script>.html.txt", b"<script>alert(1)</script>")])
    attachment = ticket.messages.get().attachments.get()
    url = reverse("admin:tickets_ticket_attachment", args=[ticket.pk, attachment.pk])
    assert url in agent_client.get(page(ticket)).content.decode()
    response = agent_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    other = TicketFactory.create(requester=two_orgs.ana)
    wrong = reverse("admin:tickets_ticket_attachment", args=[other.pk, attachment.pk])
    assert agent_client.get(wrong).status_code == 404


def test_customers_cannot_use_the_agent_download(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload()])
    attachment = ticket.messages.get().attachments.get()
    client.force_login(two_orgs.maria)
    response = client.get(reverse("admin:tickets_ticket_attachment",
                                  args=[ticket.pk, attachment.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_wrong_time_entry_shows_its_error_and_keeps_the_note(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    response = post(agent_client, paid.ticket, "time", {"minutes": "0",
                                                        "note": "call with María"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="errornote"' in html and "greater than or equal to 1" in html
    assert 'value="call with María"' in html
