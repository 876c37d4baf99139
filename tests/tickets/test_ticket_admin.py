"""The ticket admin is back office with the stock change list: columns, filters and search
that stay fast (related names joined in the page's query, a capped count, no full count),
no add, delete or bulk action, and a ticket's page that opens the ticket on the desk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import TicketFactory, department
from tickets import services
from tickets.admin import CappedCountPaginator, TicketAdmin
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
LIST = reverse("admin:tickets_ticket_changelist")


def numbers(response) -> list[str]:
    assert response.status_code == 200
    return [t.number for t in response.context["cl"].result_list]


def test_the_stock_change_list_with_the_queue_columns(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Trunk <b>down</b>")
    response = agent_client.get(LIST)
    html = response.content.decode()
    assert response.templates[0].name == "admin/change_list.html"
    assert ticket.number in html and "Trunk &lt;b&gt;down&lt;/b&gt;" in html
    assert "Acme" in html and "SIPStation General Support" in html
    assert 'name="action"' not in html  # no bulk action here: the desk has them
    assert type(response.context["cl"]).__name__ == "ChangeList"


@pytest.mark.parametrize("size", [1, 30])
def test_list_queries_do_not_grow_with_the_page(agent_client, two_orgs, size):
    for i in range(size):
        ticket = TicketFactory.create(requester=two_orgs.maria if i % 2 else two_orgs.ana)
        services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=two_orgs.agent)
    agent_client.get(LIST)
    with CaptureQueriesContext(connection) as captured:
        assert len(numbers(agent_client.get(LIST))) == size
    # session, user, count (capped), the page with its joined names, filter choices
    assert len(captured) <= 12, [q["sql"][:90] for q in captured]


def test_the_list_is_never_counted_in_full(agent_client, two_orgs, monkeypatch):
    TicketFactory.create(requester=two_orgs.maria)
    assert TicketAdmin.show_full_result_count is False
    assert TicketAdmin.paginator is CappedCountPaginator
    monkeypatch.setattr(CappedCountPaginator, "CAP", 0)
    html = agent_client.get(LIST).content.decode()
    assert "more than 0" in html


def test_filters_and_search(agent_client, two_orgs):
    free = TicketFactory.create(requester=two_orgs.maria, subject="One-way audio")
    fax = TicketFactory.create(requester=two_orgs.ana, department_code="faxstation-general",
                               subject="Fax lines down")
    services.ticket_status_change(ticket=free, actor=two_orgs.agent, status="on_hold")
    get = agent_client.get
    assert numbers(get(LIST, {"status__exact": "on_hold"})) == [free.number]
    dep = department("faxstation-general")
    assert numbers(get(LIST, {"department__id__exact": dep.pk})) == [fax.number]
    assert numbers(get(LIST, {"department__product__id__exact": dep.product_id})) == [
        fax.number]
    assert numbers(get(LIST, {"q": free.number})) == [free.number]
    assert numbers(get(LIST, {"q": "ana@"})) == [fax.number]
    assert numbers(get(LIST, {"q": "audio"})) == [free.number]


@pytest.mark.parametrize("query", ["status__exact=gone", "department__id__exact=abc",
                                   "priority__exact=x", "p=-1", "p=99999999999",
                                   "department__id__exact=99999999999999999999999", "o=9"])
def test_a_bad_parameter_is_never_a_server_error(agent_client, two_orgs, query):
    TicketFactory.create(requester=two_orgs.maria)
    assert agent_client.get(f"{LIST}?{query}").status_code in (200, 302, 400)


def test_a_ticket_opens_on_the_desk_and_is_never_added_or_deleted(agent_client, admin_client,
                                                                  two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    response = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response["Location"] == reverse("admin:desk_ticket", args=[ticket.pk])
    assert agent_client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                             {"subject": "x"}).status_code == 302
    assert Ticket.objects.get().subject == ticket.subject
    assert admin_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    assert admin_client.get(reverse("admin:tickets_ticket_delete",
                                    args=[ticket.pk])).status_code == 403
