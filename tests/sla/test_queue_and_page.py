"""The due badge in the agent desk's queue (on track / at risk / breached), its filter and order;
the customer's "we aim to reply by" in their language and time zone."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from entitlements.models import BillingResponsibility, Deployment
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
LIST = reverse("admin:desk_queue") + "?view=all"


def config_ticket(contact, subject):
    return TicketFactory.create(
        requester=contact, department_code="freepbx-configuration", subject=subject,
        deployment=Deployment.objects.get(code="DEP-1001"),
        billing_responsibility=BillingResponsibility.objects.get(code="BR-1001"))


@pytest.fixture
def agent_client(client, demo):
    demo["agent"].groups.add(Group.objects.get(name="Agents"))
    demo["agent"].time_zone = "America/Mexico_City"  # the queue shows times in the agent's
    demo["agent"].save()
    client.force_login(demo["agent"])
    return client


def mine(response, *tickets) -> list[str]:
    ours = {t.number for t in tickets}
    return [t.number for t in response.context["rows"] if t.number in ours]


def test_badge_filter_and_order_follow_the_clock(agent_client, demo, clock):
    Ticket.objects.all().delete()  # the demo's own tickets
    first = config_ticket(demo["maria"], "first")  # Monday 17:30: due Tuesday 16:30
    clock.advance(minutes=60)
    second = config_ticket(demo["maria"], "second")  # due Wednesday 09:30
    clock.set(2026, 12, 8, 12, 0)  # Tuesday noon: both on track
    html = agent_client.get(LIST + "&due=any").content.decode()
    assert html.count('data-due="on_track"') == 2
    assert [t.number for t in agent_client.get(LIST + "&due=any").context["rows"]
            ] == [first.number, second.number]  # soonest due first
    assert agent_client.get(LIST + "&due=soon").context["rows"] == []
    clock.set(2026, 12, 8, 14, 30)  # 75 % of the first one's 8 hours
    response = agent_client.get(LIST + "&due=soon")
    assert [t.number for t in response.context["rows"]] == [first.number]
    assert 'data-due="at_risk"' in response.content.decode()
    assert "At risk · 2026-12-08 16:30" in response.content.decode()
    clock.set(2026, 12, 8, 16, 30)
    response = agent_client.get(LIST + "&due=breached")
    assert [t.number for t in response.context["rows"]] == [first.number]
    assert 'data-due="breached"' in response.content.decode()
    # Answered: nothing is due any more.
    from tickets import services

    services.agent_reply_create(ticket=first, agent=demo["agent"], body="On it")
    assert agent_client.get(LIST + "&due=breached").context["rows"] == []
    assert Ticket.objects.get(pk=first.pk).sla_due_at is None


def test_customer_sees_when_we_aim_to_reply_in_her_language_and_time_zone(client, demo,
                                                                          clock):
    ticket = config_ticket(demo["maria"], "Colas")
    client.force_login(demo["maria"])  # Spanish, America/Mexico_City
    html = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "Intentaremos responder antes del martes 16:30 (su hora)." in html
    demo["maria"].time_zone = "Europe/Madrid"
    demo["maria"].language = "en"
    demo["maria"].save()
    html = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "We aim to reply by Tuesday 23:30 your time." in html


def test_no_promise_for_best_effort_tickets(client, demo):
    ticket = TicketFactory.create(requester=demo["ana"], department_code="sipstation-general")
    client.force_login(demo["ana"])
    html = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "data-reply-aim" not in html
