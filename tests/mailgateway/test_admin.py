"""The quarantine in the admin: listed first, raw shown escaped, actions call services."""

import pytest
from django.urls import reverse

from mailgateway import services
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory, department
from tests.factories.mailgateway import raw_email
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:mailgateway_inboundmessage_changelist"


@pytest.fixture
def admin_client(client, two_orgs):
    agent = two_orgs.agent
    agent.is_superuser = True
    agent.save()
    client.force_login(agent)
    return client


def _quarantined(**kwargs) -> InboundMessage:
    row, _ = services.inbound_message_store(raw=raw_email(**kwargs), source="pipe")
    row = services.inbound_message_process(inbound_id=row.pk)
    assert row.status == InboundMessage.Status.QUARANTINED
    return row


def test_list_shows_quarantine_first_and_raw_is_escaped(admin_client, two_orgs,
                                                        django_assert_max_num_queries):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ok, _ = services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}"), source="pipe")
    services.inbound_message_process(inbound_id=ok.pk)
    bad = _quarantined(subject="Hola", body="<script>alert(1)</script> help")
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows[0].pk == bad.pk
    # the threaded email's ticket opens on the agent desk
    assert f'href="{reverse("admin:desk_ticket", args=[ticket.pk])}"' in response.content.decode()
    detail = admin_client.get(reverse("admin:mailgateway_inboundmessage_change",
                                      args=[bad.pk]))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in detail.content
    assert b"<script>alert(1)</script>" not in detail.content
    assert b'name="_save"' not in detail.content  # read-only page


def test_attach_action_asks_the_number_then_attaches(admin_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = _quarantined(subject="no tag here", body="Please add this.")
    url = reverse(CHANGELIST)
    form = admin_client.post(url, {"action": "attach_to_ticket", "_selected_action": [row.pk]})
    assert form.status_code == 200 and b"ticket_number" in form.content
    admin_client.post(url, {"action": "attach_to_ticket", "_selected_action": [row.pk],
                            "apply": "1", "ticket_number": ticket.number})
    row.refresh_from_db()
    assert row.status == InboundMessage.Status.ATTACHED and row.ticket == ticket
    assert row.ticket_message.body == "Please add this."


def test_open_ticket_and_discard_actions(admin_client, two_orgs):
    row = _quarantined(subject="New problem", body="Phones do not register.")
    other = _quarantined(subject="spam", from_addr="nobody@else.example")
    url = reverse(CHANGELIST)
    admin_client.post(url, {"action": "open_ticket", "_selected_action": [row.pk], "apply": "1",
                            "department": department("sipstation-general").pk})
    row.refresh_from_db()
    assert row.status == InboundMessage.Status.OPENED
    assert row.ticket.requester == two_orgs.maria
    assert row.ticket.subject == "New problem"
    assert row.ticket_message.body == "Phones do not register."
    assert row.ticket_message.source == Message.Source.EMAIL
    admin_client.post(url, {"action": "discard", "_selected_action": [other.pk], "apply": "1",
                            "reason": "spam"})
    other.refresh_from_db()
    assert other.status == InboundMessage.Status.DISCARDED and "spam" in other.reason
    assert Ticket.objects.count() == 1


def test_quarantine_comes_first_even_when_older(admin_client, two_orgs):
    bad = _quarantined(subject="Hola", body="help")
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ok, _ = services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}"), source="pipe")
    services.inbound_message_process(inbound_id=ok.pk)
    rows = list(admin_client.get(reverse(CHANGELIST)).context["cl"].result_list)
    assert [r.pk for r in rows] == [bad.pk, ok.pk]


@pytest.mark.parametrize("typed", ["[#{n}]", "#{n}", "{lower}", " [ # {n} ] "])
def test_an_agent_attaches_with_the_number_as_pasted(client, two_orgs, typed):
    from tests.tickets.agent_setup import make_agent

    client.force_login(make_agent(two_orgs.agent))
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = _quarantined(subject="no tag here", body="Please add this.")
    number = typed.format(n=ticket.number, lower=ticket.number.lower())
    response = client.post(reverse(CHANGELIST), {
        "action": "attach_to_ticket", "_selected_action": [row.pk], "apply": "1",
        "ticket_number": number})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == InboundMessage.Status.ATTACHED and row.ticket == ticket


def test_an_unknown_number_is_a_form_error(admin_client):
    row = _quarantined(subject="no tag here", body="Please add this.")
    response = admin_client.post(reverse(CHANGELIST), {
        "action": "attach_to_ticket", "_selected_action": [row.pk], "apply": "1",
        "ticket_number": "[#ABC-123-45678]"})
    assert response.status_code == 200
    assert response.context["form"].errors["ticket_number"] == [
        "There is no ticket with this number."]
def test_verdict_shown_on_the_quarantine_and_the_original_email(admin_client, two_orgs,
                                                                 settings):
    from mailgateway.inbound import reasons
    from mailgateway.models import SenderDomainPolicy

    settings.MAIL_AUTHSERV_IDS = ["mx.helpdesk.example"]
    failed = {"Authentication-Results": "mx.helpdesk.example; spf=fail "
              "smtp.mailfrom=acme.example; dmarc=fail header.from=acme.example"}
    ticket = TicketFactory.create(requester=two_orgs.maria)
    forged = _quarantined(subject=f"Re: {ticket.subject_tag}", headers=failed)
    assert forged.reason == reasons.SENDER_UNVERIFIED
    page = admin_client.get(reverse("admin:mailgateway_inboundmessage_change",
                                    args=[forged.pk])).content.decode()
    assert "Could not verify the sender (DMARC fail)" in page and "spf=fail" in page
    # Staff set the domain's policy to "none": the same mail threads, the verdict shows.
    response = admin_client.post(reverse("admin:mailgateway_senderdomainpolicy_add"),
                                 {"domain": "ACME.example", "policy": "none", "note": ""})
    assert response.status_code == 302
    assert SenderDomainPolicy.objects.get().domain == "acme.example"
    row, _ = services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}", headers=failed), source="pipe")
    row = services.inbound_message_process(inbound_id=row.pk)
    assert row.status == InboundMessage.Status.THREADED
    page = admin_client.get(reverse("admin:tickets_ticket_original_email",
                                    args=[ticket.pk, row.ticket_message_id])).content.decode()
    assert "Sender verification" in page and "DMARC fail" in page
