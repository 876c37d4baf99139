"""The queue overview: per department new, open, unassigned, waiting on customer, oldest."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory, department
from tests.tickets.agent_setup import make_agent
from tickets import services
from tickets import workspace_selectors as ws
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_overview():
    cache.delete(ws.OVERVIEW_CACHE_KEY)
    yield
    cache.delete(ws.OVERVIEW_CACHE_KEY)


def row_for(rows, code):
    return next(r for r in rows if r["department"].code == code)


def test_overview_counts_per_department_and_oldest_waiting(two_orgs):
    old, new, waiting = [TicketFactory.create(requester=two_orgs.maria) for _ in range(3)]
    Ticket.objects.filter(pk=old.pk).update(waiting_since=timezone.now() - dt.timedelta(days=3))
    services.ticket_assign(ticket=new, actor=two_orgs.agent, assignee=two_orgs.agent)  # open
    services.agent_reply_create(ticket=waiting, agent=two_orgs.agent, body="Need a trace")
    TicketFactory.create(requester=two_orgs.ana, department_code="faxstation-general")
    row = row_for(ws.queue_overview(), "sipstation-general")
    assert (row["new"], row["open"], row["unassigned"], row["waiting_customer"]) == (1, 1, 2, 1)
    assert row["oldest_number"] == old.number
    fax = row_for(ws.queue_overview(), "faxstation-general")
    assert (fax["new"], fax["unassigned"]) == (1, 1)
    assert row_for(ws.queue_overview(), "freepbx-configuration")["oldest_id"] is None


def test_admin_home_and_overview_page_show_the_queues(client, two_orgs,
                                                      django_assert_max_num_queries):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    for url in (reverse("admin:index"), reverse("admin:tickets_ticket_overview")):
        with django_assert_max_num_queries(14):  # the database cache costs a few
            html = client.get(url).content.decode()
        assert 'id="queue-overview"' in html and ticket.number in html
        # each count opens the department's queue on the desk
        assert (f"/admin/desk/?view=department&amp;department="
                f"{department('sipstation-general').pk}") in html


def test_customers_and_staff_without_permission_see_no_overview(client, two_orgs):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory())
    assert 'id="queue-overview"' not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:tickets_ticket_overview")).status_code == 403
