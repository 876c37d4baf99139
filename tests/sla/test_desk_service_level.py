"""The desk's ticket page shows the ticket's service level: its policy and why it applies,
and each due time (first response, next response, resolution) with its state."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from sla.models import SlaTarget
from tests.factories import TicketFactory
from tests.sla.test_queue_and_page import config_ticket
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, demo):
    demo["agent"].groups.add(Group.objects.get(name="Agents"))
    demo["agent"].time_zone = "America/Mexico_City"
    demo["agent"].language = "en"
    demo["agent"].save()
    client.force_login(demo["agent"])
    return client


def page(client, ticket):
    response = client.get(reverse("admin:desk_ticket", args=[ticket.pk]))
    assert response.status_code == 200
    return response


def states(response) -> dict:
    return {d.kind: d.state for d in response.context["service_level"].dues}


def test_policy_reason_and_each_due_time_follow_the_clock(agent_client, demo, clock):
    Ticket.objects.all().delete()
    SlaTarget.objects.filter(policy__name="Soporte Estándar").update(
        resolution_minutes=16 * 60)
    ticket = config_ticket(demo["maria"], "Dial plan")  # Monday 17:30
    clock.set(2026, 12, 8, 12, 0)
    response = page(agent_client, ticket)
    level = response.context["service_level"]
    assert (level.policy_name, level.reason) == ("Soporte Estándar",
                                                 "Contract plan of the deployment")
    assert states(response) == {"first_response": "on_track", "resolution": "on_track"}
    first = level.dues[0]
    assert first.due_at == Ticket.objects.get(pk=ticket.pk).first_response_due_at
    html = response.content.decode()
    assert 'id="desk-sla"' in html and 'data-state="on_track"' in html
    clock.set(2026, 12, 8, 14, 30)  # 75 % of 8 business hours
    assert states(page(agent_client, ticket))["first_response"] == "at_risk"
    clock.set(2026, 12, 8, 16, 30)
    assert states(page(agent_client, ticket))["first_response"] == "breached"
    clock.set(2026, 12, 8, 17, 0)
    services.agent_reply_create(ticket=ticket, agent=demo["agent"], body="Here you are")
    response = page(agent_client, ticket)
    assert states(response) == {"first_response": "late", "next_response": "paused",
                                "resolution": "paused"}
    assert response.context["service_level"].dues[0].done_at == clock.now
    assert "Answered late" in response.content.decode()
    clock.set(2026, 12, 9, 10, 0)
    services.ticket_reply_create(ticket=ticket, author=demo["maria"], body="Thanks, but")
    assert states(page(agent_client, ticket)) == {
        "first_response": "late", "next_response": "on_track", "resolution": "on_track"}


def test_best_effort_and_spanish(agent_client, demo, clock):
    ticket = TicketFactory.create(requester=demo["ana"], department_code="sipstation-general")
    response = page(agent_client, ticket)
    level = response.context["service_level"]
    assert level.reason == "Free department" and level.dues == []
    assert "No due times for this ticket's priority." in response.content.decode()
    demo["agent"].language = "es"
    demo["agent"].save()
    html = page(agent_client, config_ticket(demo["maria"], "Troncal")).content.decode()
    assert "Nivel de servicio" in html and "Primera respuesta" in html
    assert "Plan del contrato del despliegue" in html


def test_the_admin_ticket_page_opens_the_desk_that_shows_it(agent_client, demo, clock):
    ticket = config_ticket(demo["maria"], "Dial plan")
    response = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                                follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:desk_ticket", args=[ticket.pk])
    assert response.context["service_level"].policy_name == "Soporte Estándar"
    assert 'id="desk-sla"' in response.content.decode()
