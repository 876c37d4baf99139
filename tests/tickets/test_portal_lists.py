"""Issue 11: My Tickets' search and filters (never matching an internal note), the
customer timeline, current department fields only, staff sent to the desk."""

import pytest
from django.urls import reverse

from tests.factories import TicketFactory
from tickets.models import Message

pytestmark = pytest.mark.django_db


def _numbers(response) -> set[str]:
    return {t.number for t in response.context["page"].object_list}


def test_search_by_subject_number_and_visible_message_text(client, two_orgs):
    audio = TicketFactory.create(requester=two_orgs.maria, subject="One-way audio")
    fax = TicketFactory.create(requester=two_orgs.maria, subject="Fax fails")
    Message.objects.create(ticket=fax, kind=Message.Kind.CUSTOMER, body="the modem beeps")
    Message.objects.create(ticket=audio, kind=Message.Kind.NOTE, body="secret modem note")
    client.force_login(two_orgs.maria)
    url = reverse("tickets:my_tickets")
    assert _numbers(client.get(url, {"q": "one-WAY"})) == {audio.number}
    assert _numbers(client.get(url, {"q": fax.number})) == {fax.number}
    assert _numbers(client.get(url, {"q": "modem"})) == {fax.number}  # not the note
    assert _numbers(client.get(url, {"status": "on_hold"})) == set()
    both = _numbers(client.get(url, {"status": "nonsense", "since": "not-a-date"}))
    assert both == {audio.number, fax.number}  # bad filters are ignored, never a 500


def test_staff_opening_the_customer_site_go_to_the_desk(client, two_orgs):
    client.force_login(two_orgs.agent)
    response = client.get(reverse("tickets:submit"))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_the_customer_timeline_and_current_department_fields(client, transactional_db):
    """An agent logs time (with a note), asks the customer, replies and moves the ticket to
    a free department: the customer reads each step in their terms, never the note, and
    no longer sees the Deployment ID of the old department."""
    import io

    from django.core.management import call_command

    from accounts.models import User
    from tickets import services

    call_command("load_demo", stdout=io.StringIO())
    maria = User.objects.get(email="maria@acme.example")
    agent = User.objects.get(email="agent@helpdesk.example")
    ticket = (maria.requested_tickets.filter(department__code="freepbx-configuration")
              .order_by("id").first())
    ticket = ticket or TicketFactory.create(requester=maria,
                                            department_code="sipstation-general")
    assert ticket.department.code == "freepbx-configuration"
    services.time_entry_create(ticket=ticket, agent=agent, minutes=15, note="customer is rude")
    services.ticket_status_change(ticket=ticket, actor=agent, status="waiting_customer")
    services.agent_reply_create(ticket=ticket, agent=agent, body="Which version?")
    services.ticket_department_change(ticket=ticket, actor=agent,
                                      department=ticket.department.__class__.objects.get(
                                          code="sipstation-general"),
                                      reason="wrong queue, internal")
    client.force_login(maria)
    client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    html = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    timeline = html.split("data-timeline")[1].split("</ol>")[0]
    assert "Opened by María García." in timeline
    assert "15 minutes of agent time used credits." in timeline
    assert "Status changed from" in timeline and "Waiting on customer" in timeline
    assert "Replied by Support" in timeline
    assert "Moved from FreePBX Configuration to SIPStation General Support." in timeline
    assert "the credits used were refunded" in timeline
    assert "rude" not in html and "internal" not in html
    details = html.split("data-details-panel")[1].split("</details>")[0]
    assert "Deployment ID" not in details and "DEP-1001" not in details


def test_search_and_wizard_queries_stay_bounded(client, two_orgs,
                                                django_assert_max_num_queries):
    from tests.factories import DeploymentFactory, ModuleLicenceFactory

    for n in range(25):
        TicketFactory.create(requester=two_orgs.maria, subject=f"Echo {n}")
    client.force_login(two_orgs.maria)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("tickets:my_tickets"),
                              {"q": "echo", "status": "new", "since": "2000-01-01"})
    assert response.content.decode().count('class="ticket-number"') == 20
    # The wizard decides every record of every department in a fixed number of queries.
    deployment = DeploymentFactory(organization=two_orgs.acme)
    for _n in range(3):
        ModuleLicenceFactory(deployment=deployment)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("tickets:submit"))
    for _n in range(12):
        ModuleLicenceFactory(deployment=deployment)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("tickets:submit")).content.decode()
    assert html.count('data-item-allowed="true"') == 15
