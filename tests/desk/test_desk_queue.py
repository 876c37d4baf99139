"""The desk's queue: what agents had in the admin's ticket list (filters, search, bulk
actions, escaping), now on the desk. Filters combine with the views; bulk actions are one
service call (one transaction) for every selected ticket."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory, TicketFactory, department
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets import exceptions as exc
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:desk_queue")
BULK = reverse("admin:desk_bulk")


def numbers(response) -> list[str]:
    assert response.status_code == 200
    return [row.number for row in response.context["rows"]]


def make_tickets(two_orgs, count: int) -> list[Ticket]:
    return [TicketFactory.create(requester=two_orgs.maria, subject=f"Ticket {i}")
            for i in range(count)]


def test_filters_status_product_department_priority_and_paid(agent_client, two_orgs):
    free = TicketFactory.create(requester=two_orgs.maria)
    paid = freepbx_configuration_ticket(two_orgs).ticket
    services.ticket_status_change(ticket=free, actor=two_orgs.agent, status="on_hold")
    services.ticket_priority_change(ticket=paid, actor=two_orgs.agent, priority=4)
    get = agent_client.get
    assert numbers(get(QUEUE, {"view": "all", "status": "on_hold"})) == [free.number]
    product = department("freepbx-configuration").product_id
    assert numbers(get(QUEUE, {"view": "all", "product": product})) == [paid.number]
    dep = department("sipstation-general").pk
    assert numbers(get(QUEUE, {"view": "department", "department": dep})) == [free.number]
    assert numbers(get(QUEUE, {"view": "all", "priority": 4})) == [paid.number]
    assert numbers(get(QUEUE, {"view": "all", "credits": "used"})) == [paid.number]
    assert numbers(get(QUEUE, {"view": "all", "credits": "free"})) == [free.number]


def test_the_status_filter_reaches_resolved_tickets_in_every_ticket_view(agent_client,
                                                                         two_orgs):
    done, _open = make_tickets(two_orgs, 2)
    services.ticket_resolve(ticket=done, actor=two_orgs.agent)
    assert done.number not in numbers(agent_client.get(QUEUE, {"view": "all"}))
    assert numbers(agent_client.get(QUEUE, {"view": "all", "status": "resolved"})) == [
        done.number]


def test_filter_assignee_me_unassigned_and_an_agent(agent_client, two_orgs):
    mine, nobody, theirs = make_tickets(two_orgs, 3)
    colleague = StaffFactory()
    services.ticket_assign(ticket=mine, actor=two_orgs.agent, assignee=two_orgs.agent)
    services.ticket_assign(ticket=theirs, actor=two_orgs.agent, assignee=colleague)
    get = agent_client.get
    assert numbers(get(QUEUE, {"view": "all", "assignee": "me"})) == [mine.number]
    assert numbers(get(QUEUE, {"view": "all", "assignee": "none"})) == [nobody.number]
    assert numbers(get(QUEUE, {"view": "all", "assignee": colleague.pk})) == [theirs.number]
    assert len(numbers(get(QUEUE, {"view": "all"}))) == 3


def test_an_organizations_tickets_from_the_ticket_context(agent_client, two_orgs):
    acme = make_tickets(two_orgs, 2)  # María's organization
    globex = TicketFactory.create(requester=two_orgs.ana, subject="Globex's")
    page = agent_client.get(reverse("admin:desk_ticket", args=[acme[0].pk])).content.decode()
    link = f"{QUEUE}?view=all&amp;organization={acme[0].organization_id}"
    assert f'href="{link}"' in page
    response = agent_client.get(QUEUE, {"view": "all",
                                        "organization": acme[0].organization_id})
    assert sorted(numbers(response)) == sorted(t.number for t in acme)
    html = response.content.decode()
    assert f"<strong>{acme[0].organization.name}</strong>" in html  # the filter says which
    assert f"organization={acme[0].organization_id}" in response.context["next_query"] + \
        response.context["params"].query()  # kept by the row links and the pages
    assert numbers(agent_client.get(QUEUE, {"view": "all", "organization": globex.organization_id})
                   ) == [globex.number]
    assert len(numbers(agent_client.get(QUEUE, {"view": "all", "organization": "x"}))) == 3


def test_filter_by_due_time(agent_client, two_orgs):
    breached, soon, later = make_tickets(two_orgs, 3)
    now = timezone.now()
    Ticket.objects.filter(pk=breached.pk).update(sla_due_at=now - dt.timedelta(hours=1),
                                                 sla_risk_at=now - dt.timedelta(hours=2))
    Ticket.objects.filter(pk=soon.pk).update(sla_due_at=now + dt.timedelta(hours=1),
                                             sla_risk_at=now - dt.timedelta(minutes=5))
    Ticket.objects.filter(pk=later.pk).update(sla_due_at=now + dt.timedelta(days=2),
                                              sla_risk_at=now + dt.timedelta(days=1))
    get = agent_client.get
    assert numbers(get(QUEUE, {"view": "all", "due": "breached"})) == [breached.number]
    assert numbers(get(QUEUE, {"view": "all", "due": "soon"})) == [soon.number]
    assert len(numbers(get(QUEUE, {"view": "all", "due": "any"}))) == 3


def test_filters_keep_the_view_and_search_in_every_link(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Trunk down")
    html = agent_client.get(QUEUE, {"view": "all", "status": "new", "q": "trunk"}).content.decode()
    assert f"{ticket.pk}/?view=all&amp;q=trunk&amp;status=new" in html  # the row's link
    assert '<details class="desk-filters" open>' in html
    assert '<option value="new" selected>' in html


@pytest.mark.parametrize("query,expected", [
    ("number", ["a"]), ("#number", ["a"]), ("prefix", ["a"]),
    ("maria@acme.example", ["a"]), ("ana@", ["b"]), ("audio", ["a"]), ("globex", ["b"]),
])
def test_search_by_number_subject_requester_email_and_organization(agent_client, two_orgs,
                                                                   query, expected):
    a = TicketFactory.create(requester=two_orgs.maria, subject="One-way audio")
    b = TicketFactory.create(requester=two_orgs.ana, subject="Fax not received")
    term = {"number": a.number, "#number": "#" + a.number.lower(),
            "prefix": a.number[:7]}.get(query, query)
    found = numbers(agent_client.get(QUEUE, {"view": "all", "q": term}))
    assert found == [{"a": a, "b": b}[k].number for k in expected]


def test_rows_escape_what_customers_write(agent_client, two_orgs):
    TicketFactory.create(requester=two_orgs.maria, subject='<b>"x"</b> & <script>')
    html = agent_client.get(QUEUE, {"view": "all"}).content.decode()
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert '<b>"x"</b>' not in html


@pytest.mark.parametrize("query", ["assignee=all", "assignee=x", "department=abc",
                                   "product=1.5", "product=-3", "p=-1", "p=0",
                                   "p=99999999999", "credits=nope", "due=nope",
                                   "status=gone", "priority=9", "priority=x",
                                   "product=99999999999999999999999"])
def test_a_bad_filter_value_is_ignored(agent_client, two_orgs, query):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    response = agent_client.get(f"{QUEUE}?view=all&{query}")
    assert response.status_code == 200 and ticket.number in response.content.decode()


# --- bulk actions --------------------------------------------------------------------------

def bulk(client, tickets, **data):
    return client.post(BULK + "?view=all", {"ticket": [t.pk for t in tickets], **data},
                       follow=True)


def test_the_queue_offers_the_selection_and_the_bulk_form(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    html = agent_client.get(QUEUE, {"view": "all"}).content.decode()
    assert f'name="ticket" value="{ticket.pk}" form="desk-bulk"' in html
    assert 'id="desk-bulk"' in html and "Apply to the selected tickets" in html


def test_bulk_assign_status_and_priority_in_one_save(agent_client, two_orgs):
    tickets = make_tickets(two_orgs, 2)
    colleague = StaffFactory()
    response = bulk(agent_client, tickets, assignee=colleague.pk, status="on_hold", priority=3)
    assert "2 tickets updated." in response.content.decode()
    assert response.redirect_chain[-1][0] == QUEUE + "?view=all"
    assert set(Ticket.objects.values_list("assignee", "status", "priority")) == {
        (colleague.pk, "on_hold", 3)}
    for kind in ("assigned", "priority_changed"):
        assert TicketEvent.objects.filter(kind=kind).count() == 2, kind
    assert TicketEvent.objects.filter(kind="status_changed", data__new="on_hold").count() == 2
    bulk(agent_client, tickets, assignee="me")
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {two_orgs.agent.pk}
    bulk(agent_client, tickets, assignee="none", status="resolved")
    assert set(Ticket.objects.values_list("assignee", "status")) == {(None, "resolved")}
    assert TicketEvent.objects.filter(kind="resolved").count() == 2


def test_a_refused_ticket_leaves_every_selected_ticket_as_it_was(agent_client, two_orgs,
                                                                  monkeypatch):
    first, second = make_tickets(two_orgs, 2)
    real = services.ticket_priority_change

    def refuse_the_second(*, ticket, **kwargs):
        if ticket.pk == second.pk:
            raise exc.InvalidTicketInput(exc.PRIORITY_INVALID)
        return real(ticket=ticket, **kwargs)

    monkeypatch.setattr(services, "ticket_priority_change", refuse_the_second)
    response = bulk(agent_client, [first, second], priority=4, status="on_hold")
    assert (str(exc.BULK_REFUSED % {"number": second.number,
                                    "reason": exc.PRIORITY_INVALID})
            in response.content.decode())
    assert set(Ticket.objects.values_list("priority", "status")) == {(2, "new")}
    assert not TicketEvent.objects.filter(kind__in=["priority_changed",
                                                    "status_changed"]).exists()


def test_bulk_without_a_change_or_a_selection_says_so(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    assert str(exc.BULK_NOTHING) in bulk(agent_client, [ticket]).content.decode()
    html = bulk(agent_client, [], status="on_hold").content.decode()
    assert "This field is required." in html
    assert agent_client.get(BULK).status_code == 405


def test_bulk_needs_the_change_permission(client, two_orgs):
    from django.contrib.auth.models import Permission

    make_agent(two_orgs.agent)
    two_orgs.agent.groups.first().permissions.remove(
        Permission.objects.get(codename="change_ticket"))
    client.force_login(two_orgs.agent)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    assert 'id="desk-bulk"' not in client.get(QUEUE, {"view": "all"}).content.decode()
    assert client.post(BULK, {"ticket": [ticket.pk], "status": "on_hold"}).status_code == 403
    assert Ticket.objects.get().status == "new"
