"""The queue (ticket changelist): columns, order, filters, search, bulk actions, and a
fixed number of queries whatever the page size."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credits.models import LedgerEntry
from credits.services import ledger_entry_book
from tests.factories import (
    OrganizationFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
    department,
)
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets import services
from tickets.admin import TicketAdmin
from tickets.admin_filters import forget_choices
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db
LIST = reverse("admin:tickets_ticket_changelist")


@pytest.fixture
def agent_client(client, two_orgs):
    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    return client


def numbers(response) -> list[str]:
    return [t.number for t in response.context["cl"].result_list]


def make_tickets(two_orgs, count: int, **kwargs) -> list[Ticket]:
    return [TicketFactory.create(requester=two_orgs.maria, subject=f"Ticket {i}", **kwargs)
            for i in range(count)]


def test_list_shows_the_queue_columns(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="One-way audio")
    response = agent_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (ticket.number, "One-way audio", "Acme Telecom", "María García",
                 "SIPStation", "New", "Waiting for us"):
        assert text in html, text


def test_default_order_is_longest_waiting_first_then_not_waiting(agent_client, two_orgs):
    now = timezone.now()
    young, old, done = make_tickets(two_orgs, 3)
    Ticket.objects.filter(pk=young.pk).update(waiting_since=now - dt.timedelta(hours=1))
    Ticket.objects.filter(pk=old.pk).update(waiting_since=now - dt.timedelta(days=2))
    services.ticket_resolve(ticket=done, actor=two_orgs.agent)
    assert numbers(agent_client.get(LIST)) == [old.number, young.number, done.number]


@pytest.mark.parametrize("query", ["", "?status__exact=open&assignee=me&credits=free",
                                   "?q=Ticket", "?organization=Other&product=1",
                                   "?due=soon", "?due=any&status__exact=new"])
def test_list_query_count_does_not_grow_with_the_page(agent_client, two_orgs, query,
                                                      django_assert_max_num_queries):
    other = UserFactory(organization=OrganizationFactory(name="Other"))
    counts = []
    for size in (3, 30):
        for i in range(size):
            t = TicketFactory.create(requester=other if i % 2 else two_orgs.maria,
                                     subject=f"Ticket {i}")
            services.ticket_assign(ticket=t, actor=two_orgs.agent, assignee=two_orgs.agent)
        agent_client.get(LIST)  # the agent's permissions, cached with Redis, are warm in both
        forget_choices()  # measured with cold choice lists (the worst case)
        with django_assert_max_num_queries(13) as captured:
            response = agent_client.get(LIST + query)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert len(agent_client.get(LIST).context["cl"].result_list) == 33


def test_the_queue_is_never_counted(agent_client, two_orgs, monkeypatch,
                                    django_assert_max_num_queries):
    monkeypatch.setattr(TicketAdmin, "list_per_page", 2)
    tickets = make_tickets(two_orgs, 5)
    response = agent_client.get(LIST)
    cl = response.context["cl"]
    assert cl.full_result_count is None and cl.has_more and len(cl.result_list) == 2
    assert "more on the next page" in response.content.decode()
    with CaptureQueriesContext(connection) as captured:
        last = agent_client.get(LIST + "?p=3")
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert len(last.context["cl"].result_list) == 1 and not last.context["cl"].has_more
    assert "5 tickets" in last.content.decode()
    assert {t.number for t in tickets} >= set(numbers(last))
    assert agent_client.get(LIST + "?p=9").status_code == 302  # out of range: the admin's ?e=1


def test_filters_status_product_department_and_paid(agent_client, two_orgs):
    free = TicketFactory.create(requester=two_orgs.maria)
    paid = freepbx_configuration_ticket(two_orgs).ticket
    services.ticket_status_change(ticket=free, actor=two_orgs.agent, status="on_hold")
    assert numbers(agent_client.get(LIST + "?status__exact=on_hold")) == [free.number]
    product = department("freepbx-configuration").product_id
    assert numbers(agent_client.get(LIST + f"?product={product}")) == [paid.number]
    dep = department("sipstation-general").pk
    assert numbers(agent_client.get(LIST + f"?department={dep}")) == [free.number]
    assert numbers(agent_client.get(LIST + "?credits=used")) == [paid.number]
    assert numbers(agent_client.get(LIST + "?credits=free")) == [free.number]


def test_filter_assignee_me_unassigned_and_an_agent(agent_client, two_orgs):
    mine, nobody, theirs = make_tickets(two_orgs, 3)
    colleague = StaffFactory()
    services.ticket_assign(ticket=mine, actor=two_orgs.agent, assignee=two_orgs.agent)
    services.ticket_assign(ticket=theirs, actor=two_orgs.agent, assignee=colleague)
    assert numbers(agent_client.get(LIST + "?assignee=me")) == [mine.number]
    assert numbers(agent_client.get(LIST + "?assignee=none")) == [nobody.number]
    assert numbers(agent_client.get(LIST + f"?assignee={colleague.pk}")) == [theirs.number]
    assert len(numbers(agent_client.get(LIST))) == 3


def test_filter_organization_by_name_or_id_and_overdrawn(agent_client, two_orgs):
    acme = TicketFactory.create(requester=two_orgs.maria)
    globex = TicketFactory.create(requester=two_orgs.ana)
    assert numbers(agent_client.get(LIST + "?organization=glob")) == [globex.number]
    assert numbers(agent_client.get(LIST + f"?organization={two_orgs.acme.pk}")) == [acme.number]
    assert numbers(agent_client.get(LIST + f"?organization__id__exact={two_orgs.acme.pk}")) == [
        acme.number]
    ledger_entry_book(organization_id=two_orgs.globex.pk, kind=LedgerEntry.Kind.ADJUSTMENT,
                      minutes=-10, idempotency_key="adj", reason="test")
    assert numbers(agent_client.get(LIST + "?overdrawn=yes")) == [globex.number]


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
    found = numbers(agent_client.get(LIST, {"q": term}))
    assert found == [{"a": a, "b": b}[k].number for k in expected]


# --- bulk actions --------------------------------------------------------------------------

def post_action(client, action, tickets, **extra):
    data = {"action": action, "_selected_action": [t.pk for t in tickets], **extra}
    return client.post(LIST, data, follow=True)


def test_bulk_assign_to_me_and_to_an_agent(agent_client, two_orgs):
    tickets = make_tickets(two_orgs, 2)
    post_action(agent_client, "assign_to_me", tickets)
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {two_orgs.agent.pk}
    colleague = StaffFactory()
    page = post_action(agent_client, "assign_to_agent", tickets)
    assert "Assign tickets" in page.content.decode()  # the intermediate page
    post_action(agent_client, "assign_to_agent", tickets, assignee=colleague.pk, apply="1")
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {colleague.pk}
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 4


def test_bulk_change_status_and_resolve(agent_client, two_orgs):
    tickets = make_tickets(two_orgs, 2)
    post_action(agent_client, "change_status", tickets, status="on_hold", apply="1")
    assert set(Ticket.objects.values_list("status", flat=True)) == {"on_hold"}
    post_action(agent_client, "resolve", tickets)
    assert set(Ticket.objects.values_list("status", flat=True)) == {"resolved"}
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.RESOLVED).count() == 2


def test_bulk_move_rechecks_and_refunds(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs).ticket
    services.time_entry_create(ticket=paid, agent=two_orgs.agent, minutes=25)
    free_dep = department("sipstation-general")
    response = post_action(agent_client, "move_department", [paid], department=free_dep.pk,
                           reason="Not a configuration question", apply="1")
    paid.refresh_from_db()
    assert paid.department == free_dep
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND, minutes=25).exists()
    assert "1 tickets moved." in response.content.decode()


def test_bulk_move_reports_tickets_the_rules_refuse(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    closed = department("faxstation-general")
    closed.is_active = False
    closed.save()
    response = post_action(agent_client, "move_department", [ticket], department=closed.pk,
                           apply="1")
    ticket.refresh_from_db()
    assert ticket.department.code == "sipstation-general"
    assert ticket.number in response.content.decode()


def test_tickets_cannot_be_added_or_deleted_in_the_admin(agent_client, admin_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    assert admin_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    assert admin_client.get(reverse("admin:tickets_ticket_delete",
                                    args=[ticket.pk])).status_code == 403


def test_filter_sidebar_lists_choices_marks_the_selected_and_escapes(agent_client, two_orgs):
    dep = department("sipstation-general")
    html = agent_client.get(LIST + f"?department={dep.pk}&q=a<b").content.decode()
    sidebar = html[html.index('id="changelist-filter"'):]
    assert '<details data-filter-title="department (queue)" open>' in sidebar
    assert "By department (queue)" in sidebar
    assert (f'<li class="selected">\n    <a href="?department={dep.pk}&amp;q=a%3Cb">'
            f"{dep.product.name} · {dep.name}</a></li>") in sidebar
    assert '<a href="?q=a%3Cb">All</a>' in sidebar  # the department filter's "All" keeps q
    assert "Clear all filters" in sidebar
    assert "a<b" not in sidebar


def test_rows_escape_what_customers_write(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject='<b>"x"</b> & <script>')
    html = agent_client.get(LIST).content.decode()
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert '<b>"x"</b>' not in html
    assert f'aria-label="Select this object for an action - [#{ticket.number}] &lt;b&gt;' in html


def test_filter_choices_are_kept_and_refreshed_when_the_catalogue_changes(
        agent_client, two_orgs):
    agent_client.get(LIST)  # the agent's permissions (cached with Redis) warm in both
    forget_choices()
    with CaptureQueriesContext(connection) as cold:
        agent_client.get(LIST)
    with CaptureQueriesContext(connection) as warm:
        html = agent_client.get(LIST).content.decode()
    assert len(warm) == len(cold) - 3  # products, departments, agents
    dep = department("sipstation-general")
    assert f"{dep.product.name} · {dep.name}</a>" in html
    dep.name_en = "Trunks"
    dep.save()
    colleague = StaffFactory(full_name="Zoe Newagent")
    html = agent_client.get(LIST).content.decode()
    assert f"{dep.product.name} · Trunks</a>" in html
    assert f'<a href="?assignee={colleague.pk}">Zoe Newagent</a>' in html


def test_action_bar_offers_the_bulk_actions(agent_client, two_orgs):
    TicketFactory.create(requester=two_orgs.maria)
    html = agent_client.get(LIST).content.decode()
    assert '<label>Action: <select name="action" required>' in html
    assert '<option value="" selected>---------</option>' in html
    for name, label in (("assign_to_me", "Assign to me"), ("resolve", "Resolve"),
                        ("move_department", "Move to another department…")):
        assert f'<option value="{name}">{label}</option>' in html
    assert '<input type="hidden" name="select_across" value="0" class="select-across">' in html


@pytest.mark.parametrize("query", ["", "?q=a+b%26c&assignee=none", "?status__exact=open&q=x&q=y",
                                   "?credits=used&department=3&organization=Acme&product=1"])
def test_filter_choice_links_are_the_admins(agent_client, two_orgs, query):
    from tickets.templatetags.agent_workspace import _choices

    response = agent_client.get(LIST + query)
    cl = response.context["cl"]
    for spec in cl.filter_specs:
        ours = [(c["selected"], c["query_string"], str(c["display"])) for c in _choices(cl, spec)]
        admins = [(c["selected"], c["query_string"], str(c["display"]))
                  for c in spec.choices(cl)]
        assert ours == admins, spec.parameter_name


def sidebar(response) -> str:
    html = response.content.decode()
    return html[html.index('id="changelist-filter"'):html.index("</nav>", html.index(
        'id="changelist-filter"'))]


def test_the_filter_sidebar_is_kept_per_query_string_and_language(agent_client, two_orgs,
                                                                   monkeypatch):
    from tickets.templatetags import agent_workspace

    forget_choices()
    built = []
    real = agent_workspace._filters_html
    monkeypatch.setattr(agent_workspace, "_filters_html",
                        lambda cl: built.append(cl.get_query_string()) or real(cl))
    first = sidebar(agent_client.get(LIST + "?status__exact=new"))
    assert sidebar(agent_client.get(LIST + "?status__exact=new")) == first
    assert built == ["?status__exact=new"]  # the second page reused it
    other = sidebar(agent_client.get(LIST + "?status__exact=open"))
    assert '<li class="selected">\n    <a href="?status__exact=open">' in other
    assert '<li class="selected">\n    <a href="?status__exact=new">' in first
    two_orgs.agent.language = "es"
    two_orgs.agent.save()
    spanish = sidebar(agent_client.get(LIST + "?status__exact=new"))
    assert "Por " in spanish and spanish != first
    assert len(built) == 3


def test_a_renamed_organization_shows_in_the_filter_at_once(agent_client, two_orgs):
    url = LIST + f"?organization={two_orgs.acme.pk}"
    assert "Acme Telecom" in sidebar(agent_client.get(url))
    two_orgs.acme.name = "Acme Voice"
    two_orgs.acme.save()
    assert "Acme Voice" in sidebar(agent_client.get(url))


def test_a_department_added_elsewhere_is_named_at_once(agent_client, two_orgs):
    from catalog.models import Department

    agent_client.get(LIST)  # this process caches the department names
    existing = department("sipstation-general")
    # Added by another process: no signal reaches this one (bulk_create sends none).
    Department.objects.bulk_create([Department(
        product=existing.product, code="sipstation-fax-trunks", name_es="Troncales de fax",
        name_en="Fax trunks")])
    TicketFactory.create(requester=two_orgs.maria, department_code="sipstation-fax-trunks")
    html = agent_client.get(LIST).content.decode()
    assert f'<td class="field-queue" title="{existing.product.name}">Fax trunks</td>' in html


@pytest.mark.parametrize("query", ["assignee=all", "assignee=x", "department=abc",
                                   "product=1.5", "organization=-3", "p=-1", "p=0",
                                   "p=99999999999", "credits=nope", "overdrawn=maybe",
                                   "due=nope"])
def test_a_bad_filter_value_never_breaks_the_queue(client, two_orgs, query):
    client.force_login(make_agent(two_orgs.agent))
    response = client.get(reverse("admin:tickets_ticket_changelist") + "?" + query)
    assert response.status_code in (200, 302)
