"""The reports' hand-built data set (its known answers are in test_reports.py)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from entitlements.models import BillingResponsibility, Deployment
from mailgateway.models import InboundMessage
from reports import rollups
from tests.factories import StaffFactory, TicketFactory
from tests.sla.conftest import clock, demo  # noqa: F401 (fixtures)
from tickets import satisfaction, services
from tickets.models import SatisfactionSurvey, Ticket


def url(slug):
    return reverse("admin:reports_report", args=[slug])


def rate(ticket, rating):
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    satisfaction.satisfaction_rate(token=satisfaction.token_for(survey=survey, rating=rating))


@pytest.fixture(autouse=True)
def report_time_zone(settings):
    settings.REPORTS_TIME_ZONE = "America/Mexico_City"


@pytest.fixture(params=["live", "rollups", "rollups_and_today"])
def path(request):
    """Every report test runs three ways with the same known answers: computed live; read
    from the roll-ups (the job ran on Thursday: the three days stored); and the job ran
    on Wednesday morning (Monday and Tuesday stored, Wednesday live)."""
    return request.param


def rollups_for(path, clock):  # noqa: F811 (the fixture's value)
    if path == "rollups":
        clock.set(2026, 12, 10, 9, 0)
    if path != "live":
        rollups.rollups_refresh()


@pytest.fixture
def world(demo, clock, path):  # noqa: F811 (fixtures)
    """Monday 7 Dec 2026 17:30 (Mexico City): María's Estándar ticket, answered late on
    Tuesday 17:00 (due 16:30) and rated good; Luis's Premium ticket on Tuesday 10:00,
    answered at 10:30 (due 11:00) and rated bad; Ana's free ticket on Wednesday 9:00, put
    on hold at 9:30."""
    Ticket.objects.all().delete()
    agent = demo["agent"]
    t1 = TicketFactory.create(
        requester=demo["maria"], department_code="freepbx-configuration",
        deployment=Deployment.objects.get(code="DEP-1001"),
        billing_responsibility=BillingResponsibility.objects.get(code="BR-1001"))
    services.ticket_assign(ticket=t1, actor=agent, assignee=agent)
    clock.set(2026, 12, 8, 10, 0)
    t2 = TicketFactory.create(requester=demo["luis"], department_code="freepbx-configuration",
                              deployment=Deployment.objects.get(code="DEP-3001"))
    services.ticket_assign(ticket=t2, actor=agent, assignee=agent)
    clock.set(2026, 12, 8, 10, 30)
    services.agent_reply_create(ticket=t2, agent=agent, body="Done")
    clock.set(2026, 12, 8, 11, 0)
    services.ticket_resolve(ticket=t2, actor=agent)
    rate(t2, "bad")
    clock.set(2026, 12, 8, 17, 0)
    services.agent_reply_create(ticket=t1, agent=agent, body="Here you are")
    services.time_entry_create(ticket=t1, agent=agent, minutes=30)
    clock.set(2026, 12, 8, 17, 10)
    services.ticket_resolve(ticket=t1, actor=agent)
    rate(t1, "good")
    clock.set(2026, 12, 9, 9, 0)
    t3 = TicketFactory.create(requester=demo["ana"], department_code="sipstation-general")
    clock.set(2026, 12, 9, 9, 30)
    services.ticket_status_change(ticket=t3, actor=agent, status="on_hold")
    for i, status in enumerate(["threaded", "threaded", "automatic", "quarantined"]):
        InboundMessage.objects.create(dedupe_key=f"k{i}", raw=b"x", source="pipe",
                                      status=status)
    rollups_for(path, clock)
    return {"t1": t1, "t2": t2, "t3": t3}


@pytest.fixture
def manager_client(client, world):
    manager = StaffFactory(email="boss@helpdesk.example", time_zone="America/Mexico_City",
                           language="en")
    manager.groups.add(Group.objects.get(name="Support managers"))
    client.force_login(manager)
    return client


