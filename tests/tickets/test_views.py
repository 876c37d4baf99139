"""Customer pages: submit wizard, lists, ticket page, reply, resolve."""

import re
import uuid

import pytest
from django.urls import reverse

from entitlements.engine import Action, Decision, Reason
from tests.factories import (
    BillingResponsibilityFactory,
    DeploymentFactory,
    OrganizationFactory,
    TicketFactory,
    department,
    upload,
)
from tickets import exceptions as exc
from tickets.models import Attachment, Message, Ticket, TicketEvent, TicketFieldValue

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"[A-Z]{3}-\d{3}-\d{5}")


@pytest.fixture
def maria(client, two_orgs):
    client.force_login(two_orgs.maria)
    return client


def _submit_data(**overrides):
    data = {"submission_key": str(uuid.uuid4()), "subject": "One-way audio on outbound calls",
            "message": "Since Monday, callers cannot hear us."}
    data.update(overrides)
    return data


# --- step 1 ------------------------------------------------------------------------------

def test_step_one_lists_every_department_grouped_by_product(maria):
    from catalog.models import Department, Product

    html = maria.get(reverse("tickets:submit")).content.decode()
    for product in Product.objects.filter(is_active=True):
        assert f'id="product-{product.code}"' in html
    for code in Department.objects.filter(is_active=True).values_list("code", flat=True):
        assert f'data-department="{code}"' in html
    assert "SIPStation General Support" in html  # English names for an English contact


def test_step_one_shows_an_unavailable_department_greyed_with_reason_and_action(
        maria, engine_decides):
    engine_decides["freepbx-configuration"] = Decision(
        allowed=False, reasons=(Reason("no_contract", "No active support contract."),),
        actions=(Action("buy_contract", "Buy a support contract", "/credits/buy/"),))
    html = maria.get(reverse("tickets:submit")).content.decode()
    block = html.split('data-department="freepbx-configuration"')[1].split("data-department=")[0]
    assert "unavailable" in html.split('data-department="freepbx-configuration"')[0][-60:]
    assert "No active support contract." in block
    assert 'href="/credits/buy/"' in block and "Buy a support contract" in block
    assert reverse("tickets:submit_details", args=["freepbx-configuration"]) not in block


def test_step_two_of_an_unavailable_department_offers_no_form(maria, engine_decides):
    engine_decides["sipstation-general"] = Decision(
        allowed=False, reasons=(Reason("closed", "Closed for maintenance."),))
    response = maria.get(reverse("tickets:submit_details", args=["sipstation-general"]))
    assert "Closed for maintenance." in response.content.decode()
    assert 'name="subject"' not in response.content.decode()
    response = maria.post(reverse("tickets:submit_details", args=["sipstation-general"]),
                          _submit_data())
    assert Ticket.objects.count() == 0


def test_unknown_department_is_404(maria):
    assert maria.get(reverse("tickets:submit_details", args=["nope"])).status_code == 404


# --- step 2 ------------------------------------------------------------------------------

def test_step_two_offers_own_and_reseller_customer_records_only(client, two_orgs,
                                                                engine_decides):
    engine_decides["freepbx-configuration"] = Decision(allowed=True, uses_credits=True)
    two_orgs.acme.is_reseller = True
    two_orgs.acme.save()
    customer = OrganizationFactory(name="Customer of Acme")
    two_orgs.acme.customers.add(customer)
    DeploymentFactory(code="DEP-OWN", organization=two_orgs.acme)
    DeploymentFactory(code="DEP-CUST", organization=customer)
    DeploymentFactory(code="DEP-GLOBEX", organization=two_orgs.globex)
    DeploymentFactory(code="DEP-OTHERPRODUCT", organization=two_orgs.acme,
                      product=department("sbc-support").product)
    BillingResponsibilityFactory(code="BR-OWN", organization=two_orgs.acme)
    BillingResponsibilityFactory(code="BR-GLOBEX", organization=two_orgs.globex)
    client.force_login(two_orgs.maria)
    html = client.get(reverse("tickets:submit_details",
                              args=["freepbx-configuration"])).content.decode()
    assert "DEP-OWN" in html and "DEP-CUST" in html and "Customer of Acme" in html
    assert "BR-OWN" in html
    assert "DEP-GLOBEX" not in html and "BR-GLOBEX" not in html
    assert "DEP-OTHERPRODUCT" not in html
    assert "Billing Responsibility ID" in html and "Deployment ID" in html
    assert 'data-balance="0"' in html  # paid department shows the credit balance


def test_step_two_submits_with_records_and_field_values(client, two_orgs, engine_decides):
    engine_decides["freepbx-configuration"] = Decision(allowed=True, uses_credits=True)
    deployment = DeploymentFactory(code="DEP-OWN", organization=two_orgs.acme)
    responsibility = BillingResponsibilityFactory(code="BR-OWN", organization=two_orgs.acme)
    client.force_login(two_orgs.maria)
    url = reverse("tickets:submit_details", args=["freepbx-configuration"])
    response = client.post(url, _submit_data(field_deployment=deployment.pk,
                                              field_billing_responsibility=responsibility.pk))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.deployment == deployment and ticket.billing_responsibility == responsibility
    assert set(TicketFieldValue.objects.values_list("value", flat=True)) == {
        str(deployment), str(responsibility)}


def test_step_two_refuses_another_organizations_record(client, two_orgs, engine_decides):
    engine_decides["freepbx-configuration"] = Decision(allowed=True)
    foreign = DeploymentFactory(code="DEP-GLOBEX", organization=two_orgs.globex)
    responsibility = BillingResponsibilityFactory(code="BR-OWN", organization=two_orgs.acme)
    client.force_login(two_orgs.maria)
    response = client.post(reverse("tickets:submit_details", args=["freepbx-configuration"]),
                           _submit_data(field_deployment=foreign.pk,
                                        field_billing_responsibility=responsibility.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_step_two_shows_the_engine_refusal_for_the_chosen_item(client, two_orgs, monkeypatch):
    from entitlements import engine

    deployment = DeploymentFactory(code="DEP-OLD", organization=two_orgs.acme)
    responsibility = BillingResponsibilityFactory(code="BR-OWN", organization=two_orgs.acme)

    def fake(*, contact, department, deployment=None, **kwargs):
        if deployment is None:
            return Decision(allowed=True)
        return Decision(allowed=False, reasons=(Reason("expired", "Contract ended."),))

    monkeypatch.setattr(engine, "evaluate", fake)
    client.force_login(two_orgs.maria)
    response = client.post(reverse("tickets:submit_details", args=["freepbx-configuration"]),
                           _submit_data(field_deployment=deployment.pk,
                                        field_billing_responsibility=responsibility.pk))
    html = response.content.decode()
    assert "Contract ended." in html
    assert "One-way audio on outbound calls" in html  # what was typed is kept
    assert Ticket.objects.count() == 0


def test_step_two_form_says_subject_should_be_descriptive_and_offers_files(maria):
    html = maria.get(reverse("tickets:submit_details", args=["sipstation-general"])).content
    html = html.decode()
    assert "Be descriptive" in html
    assert 'type="file" name="attachments"' in html and "multiple" in html
    assert "Add File" in html
    assert 'name="submission_key"' in html and 'enctype="multipart/form-data"' in html


def test_submit_creates_the_ticket_and_shows_its_number(maria, two_orgs):
    response = maria.post(reverse("tickets:submit_details", args=["sipstation-general"]),
                          _submit_data(attachments=[upload("a.txt"), upload("b.pcap")]),
                          follow=True)
    ticket = Ticket.objects.get()
    assert NUMBER.fullmatch(ticket.number)
    assert ticket.requester == two_orgs.maria
    assert response.redirect_chain[-1][0] == reverse("tickets:submitted", args=[ticket.number])
    assert f'data-ticket-number>{ticket.number}<' in response.content.decode()
    assert Attachment.objects.filter(message__ticket=ticket).count() == 2


def test_several_file_inputs_with_the_same_name_are_all_attached(maria):
    maria.post(reverse("tickets:submit_details", args=["sipstation-general"]),
               _submit_data(attachments=[upload("1.txt"), upload("2.txt"), upload("3.txt")]))
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "1.txt", "2.txt", "3.txt"]


def test_form_with_errors_keeps_what_was_typed_and_asks_for_files_again(maria):
    data = _submit_data(subject="Kept subject", message="  ",
                        attachments=[upload("a.txt")])
    response = maria.post(reverse("tickets:submit_details", args=["sipstation-general"]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Kept subject"' in html
    assert f'value="{data["submission_key"]}"' in html
    assert str(exc.MESSAGE_REQUIRED) in html
    assert "choose them again" in html
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("field,value,expected", [
    ("subject", "", exc.SUBJECT_REQUIRED),
    ("subject", "    ", exc.SUBJECT_REQUIRED),
    ("message", "", exc.MESSAGE_REQUIRED),
])
def test_empty_subject_or_message_is_a_form_error(maria, field, value, expected):
    response = maria.post(reverse("tickets:submit_details", args=["sipstation-general"]),
                          _submit_data(**{field: value}))
    assert str(expected) in response.content.decode()
    assert Ticket.objects.count() == 0


def test_posting_the_same_form_twice_creates_one_ticket(maria):
    data = _submit_data()
    url = reverse("tickets:submit_details", args=["sipstation-general"])
    first = maria.post(url, data)
    second = maria.post(url, data)
    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]


# --- lists -------------------------------------------------------------------------------

def test_my_tickets_lists_open_tickets_most_recent_activity_first(maria, two_orgs):
    older = TicketFactory.create(requester=two_orgs.maria, subject="Older")
    newer = TicketFactory.create(requester=two_orgs.maria, subject="Newer")
    resolved = TicketFactory.create(requester=two_orgs.maria, subject="Done already")
    from tickets import services

    services.ticket_resolve(ticket=resolved, actor=two_orgs.maria)
    services.ticket_reply_create(ticket=older, author=two_orgs.maria, body="bump")
    html = maria.get(reverse("tickets:my_tickets")).content.decode()
    assert "Done already" not in html
    assert html.index(older.number) < html.index(newer.number)
    resolved_html = maria.get(reverse("tickets:resolved_tickets")).content.decode()
    assert resolved.number in resolved_html and older.number not in resolved_html


def test_my_tickets_is_paginated_with_bounded_queries(maria, two_orgs,
                                                      django_assert_max_num_queries):
    for n in range(45):
        TicketFactory.create(requester=two_orgs.maria if n % 2 else two_orgs.juan,
                             subject=f"Ticket {n}")
    with django_assert_max_num_queries(8):
        first = maria.get(reverse("tickets:my_tickets") + "?scope=all")
    with django_assert_max_num_queries(8):
        third = maria.get(reverse("tickets:my_tickets") + "?scope=all&page=3")
    assert first.content.decode().count('class="ticket-number"') == 20
    assert third.content.decode().count('class="ticket-number"') == 5
    assert "Page 1 of 3" in first.content.decode()


def test_org_admin_sees_all_organization_tickets_with_a_mine_filter(client, two_orgs):
    juans = TicketFactory.create(requester=two_orgs.juan, subject="Juan's problem")
    marias = TicketFactory.create(requester=two_orgs.maria, subject="María's problem")
    anas = TicketFactory.create(requester=two_orgs.ana, subject="Ana's problem")
    client.force_login(two_orgs.maria)
    everything = client.get(reverse("tickets:my_tickets") + "?scope=all").content.decode()
    assert juans.number in everything and marias.number in everything
    assert anas.number not in everything
    mine = client.get(reverse("tickets:my_tickets") + "?scope=mine").content.decode()
    assert marias.number in mine and juans.number not in mine


def test_contact_sees_only_own_tickets_even_when_asking_for_all(client, two_orgs):
    juans = TicketFactory.create(requester=two_orgs.juan)
    marias = TicketFactory.create(requester=two_orgs.maria)
    client.force_login(two_orgs.juan)
    html = client.get(reverse("tickets:my_tickets") + "?scope=all").content.decode()
    assert juans.number in html and marias.number not in html
    assert 'href="?scope=all"' not in html


# --- ticket page -------------------------------------------------------------------------

def test_ticket_page_shows_the_conversation_with_attachments_but_not_notes(maria, two_orgs):
    from tickets import services

    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload("trace.pcap")])
    services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Agent answer",
                                 kind=Message.Kind.AGENT, notify=False)
    services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Secret note",
                                 kind=Message.Kind.NOTE)
    html = maria.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    attachment = Attachment.objects.get()
    assert "Agent answer" in html and "Secret note" not in html
    assert reverse("tickets:attachment", args=[ticket.number, attachment.pk]) in html
    assert "trace.pcap" in html and "Add Reply" in html


def test_ticket_page_shows_minutes_consumed_for_paid_departments(maria, two_orgs,
                                                                 engine_decides):
    engine_decides["pbxact-cloud-bugs"] = Decision(allowed=True, uses_credits=True)
    ticket = TicketFactory.create(requester=two_orgs.maria, department_code="pbxact-cloud-bugs")
    html = maria.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert 'data-minutes-consumed="0"' not in html  # free department: nothing to show
    engine_decides["pbxact-ucc-configuration"] = Decision(allowed=True, uses_credits=True)
    paid = TicketFactory.create(requester=two_orgs.maria,
                                department_code="pbxact-ucc-configuration")
    html = maria.get(reverse("tickets:detail", args=[paid.number])).content.decode()
    assert 'data-minutes-consumed="0"' in html


def test_reply_with_files_then_resolve_then_reply_reopens(maria, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    response = maria.post(reverse("tickets:reply", args=[ticket.number]),
                          {"message": "More details", "attachments": [upload("log.txt")]})
    assert response.status_code == 302
    assert ticket.messages.count() == 2
    assert Attachment.objects.filter(message__body="More details").count() == 1
    maria.post(reverse("tickets:resolve", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    response = maria.post(reverse("tickets:reply", args=[ticket.number]),
                          {"message": "Still broken"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert "reopened" in response.content.decode()
    assert 'data-event="reopened"' in response.content.decode()
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert TicketEvent.Kind.RESOLVED in kinds and TicketEvent.Kind.REOPENED in kinds


def test_resolving_twice_is_harmless(maria, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    maria.post(reverse("tickets:resolve", args=[ticket.number]))
    response = maria.post(reverse("tickets:resolve", args=[ticket.number]), follow=True)
    assert str(exc.TICKET_ALREADY_RESOLVED) in response.content.decode()
    assert ticket.events.filter(kind=TicketEvent.Kind.RESOLVED).count() == 1


def test_empty_reply_is_a_form_error(maria, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    response = maria.post(reverse("tickets:reply", args=[ticket.number]), {"message": " "})
    assert response.status_code == 400
    assert str(exc.MESSAGE_REQUIRED) in response.content.decode()
    assert ticket.messages.count() == 1


def test_org_admin_may_open_a_colleagues_ticket(maria, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    assert maria.get(reverse("tickets:detail", args=[ticket.number])).status_code == 200


def test_pages_are_in_the_contacts_language(client, two_orgs):
    two_orgs.maria.language = "es"
    two_orgs.maria.save()
    client.force_login(two_orgs.maria)
    html = client.get(reverse("tickets:submit")).content.decode()
    assert "Soporte General de SIPStation" in html
    assert '<html lang="es">' in html


def test_ticket_page_queries_stay_bounded(maria, two_orgs, django_assert_max_num_queries):
    from tickets import services

    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload("a.txt")])
    for n in range(10):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body=f"reply {n}",
                                     files=[upload(f"f{n}.txt")])
    with django_assert_max_num_queries(10):
        response = maria.get(reverse("tickets:detail", args=[ticket.number]))
    assert response.content.decode().count("/attachments/") == 11


def test_step_one_asks_the_engine_in_a_fixed_number_of_queries(maria, two_orgs,
                                                                django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        response = maria.get(reverse("tickets:submit"))
    assert response.status_code == 200
    assert response.content.decode().count("data-department=") >= 20


def test_the_stylesheet_is_served_in_the_embedded_default(db):
    from django.test import Client

    response = Client().get("/static/css/site.css")
    assert response.status_code == 200


@pytest.mark.parametrize("language,expected", [("es", "Mis Tickets"), ("en", "My Tickets")])
def test_pages_speak_the_contacts_language(client, two_orgs, language, expected):
    two_orgs.maria.language = language
    two_orgs.maria.save()
    client.force_login(two_orgs.maria)
    assert expected in client.get(reverse("tickets:my_tickets")).content.decode()
