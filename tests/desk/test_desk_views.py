"""The desk's pages inside the admin: permissions, 404s, every action through its form,
and a fixed number of queries whatever the page size or the ticket's length."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import ModuleLicenceFactory, StaffFactory, TicketFactory, department, upload
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets import desk_services, services
from tickets.models import Macro, Message, Ticket, TimeEntry

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:desk_{name}", args=args)


def test_the_desk_needs_the_admin_login(client, two_orgs):
    response = client.get(url("queue"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(two_orgs.maria)  # a customer
    assert client.get(url("queue")).status_code == 302


def test_staff_without_ticket_permission_is_refused(client):
    staff = StaffFactory(email="nobody@helpdesk.example")
    client.force_login(staff)
    assert client.get(url("queue")).status_code == 403


def test_queue_and_ticket_side_by_side(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Trunk <b>down</b>")
    html = agent_client.get(url("queue")).content.decode()
    assert ticket.number in html and "Trunk &lt;b&gt;down&lt;/b&gt;" in html
    assert 'id="desk-counts"' in html and "htmx-2.0.11.min.js" in html
    html = agent_client.get(url("ticket", ticket.pk)).content.decode()
    assert 'id="desk-ticket"' in html and 'id="desk-reply"' in html
    assert "María García opened the ticket on the site" in html


def test_a_post_that_does_not_name_its_action_changes_nothing(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    assert agent_client.post(url("action", ticket.pk, "claim")).status_code == 400
    assert agent_client.post(url("action", ticket.pk, "nothing"),
                             {"action": "nothing"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_missing_ticket_is_a_404(agent_client):
    assert agent_client.get(url("ticket", 999999)).status_code == 404
    assert agent_client.post(url("action", 999999, "claim"), {"action": "claim"}).status_code == 404
    assert agent_client.get(url("live", 999999)).status_code == 404


def test_htmx_asks_for_the_ticket_pane_alone(agent_client, two_orgs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = TicketFactory.create(requester=two_orgs.maria)
    TicketFactory.create(requester=two_orgs.ana)  # a queue to leave out
    whole = url("ticket", ticket.pk) + "?view=all"
    with CaptureQueriesContext(connection) as page_queries:
        agent_client.get(whole)
    with CaptureQueriesContext(connection) as pane_queries:
        html = agent_client.get(whole, HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="desk-ticket").content.decode()
    assert html.lstrip().startswith("<article") and 'id="desk-counts"' not in html
    assert "?view=all" in html  # the pane's forms keep the queue's view
    # the filters' agent list is not read for the pane (the queue's rows are read by
    # neither: the page asks for them in their own request)
    assert len(pane_queries) < len(page_queries)


def test_a_tickets_full_page_leaves_the_rows_to_their_own_request(
        agent_client, two_orgs, django_assert_max_num_queries):
    """A ticket's page is drawn without the 50 rows beside it: htmx asks for them as the
    page loads (a plain link without script), in the same view, filters and search."""
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Opened one")
    other = TicketFactory.create(requester=two_orgs.ana, subject="Another in the queue")
    html = agent_client.get(url("ticket", ticket.pk) + "?view=all").content.decode()
    assert f'data-ticket="{ticket.pk}"' in html and other.number not in html
    rows_url = url("queue") + "?view=all"
    assert f'id="desk-queue-rows" hx-get="{rows_url}" hx-trigger="load"' in html
    assert f'<a href="{rows_url}">Show the queue</a>' in html
    with django_assert_max_num_queries(16):
        response = agent_client.get(rows_url, HTTP_HX_REQUEST="true",
                                    HTTP_HX_TARGET="desk-queue-rows")
    rows = response.content.decode()
    assert rows.lstrip().startswith('<ol class="desk-rows"') and "desk-counts" not in rows
    assert other.number in rows and ticket.number in rows
    assert f'{url("ticket", other.pk)}?view=all' in rows  # the links keep the view
    # the queue asked for as a page is still the whole page
    assert 'id="desk-counts"' in agent_client.get(rows_url).content.decode()


def test_claim_reply_with_macro_time_and_move(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    module = ModuleLicenceFactory(deployment=paid.deployment, module_name="EndPoint Manager")
    macro = desk_services.macro_save(macro=Macro(
        title="Fixed", body="We fixed it.", priority=3), actor=two_orgs.agent)
    t = paid.ticket
    assert agent_client.post(url("action", t.pk, "claim"), {"action": "claim"}).status_code == 302
    response = agent_client.post(url("action", t.pk, "reply"), {"action": "reply",
        "kind": "reply", "macro": macro.pk, "body": "", "seen_message": 10**6})
    assert response.status_code == 302
    assert agent_client.post(url("action", t.pk, "time"), {"action": "time", "minutes": 25,
                                                          "note": "x"}).status_code == 302
    target = department("freepbx-commercial-modules")
    preview = agent_client.get(url("move", t.pk), {"department": target.pk}).content.decode()
    assert "EndPoint Manager (DEP-1001)" in preview
    response = agent_client.post(url("action", t.pk, "update"), {"action": "update",
        "status": "open", "priority": 3, "assignee": two_orgs.agent.pk,
        "department": target.pk, "module_licence": module.pk, "reason": "module"})
    assert response.status_code == 302, response.content.decode()[:2000]
    t.refresh_from_db()
    assert t.department == target and t.module_licence == module and t.priority == 3
    assert t.messages.filter(kind=Message.Kind.AGENT, body="We fixed it.").exists()
    assert TimeEntry.objects.filter(ticket=t, minutes=25).exists()


def test_a_refused_move_keeps_the_form_and_says_why(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    response = agent_client.post(url("action", ticket.pk, "update"), {"action": "update",
        "status": "resolved", "priority": 2, "assignee": "",
        "department": department("pbxact-configuration").pk, "reason": "x"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW  # nothing applied


def test_reply_over_a_newer_customer_message_asks_first(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    seen = ticket.messages.get().pk
    services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="More info")
    data = {"action": "reply", "kind": "reply", "body": "Answer", "seen_message": seen}
    response = agent_client.post(url("action", ticket.pk, "reply"), data)
    assert response.status_code == 400 and "wrote again" in response.content.decode()
    assert not ticket.messages.filter(kind=Message.Kind.AGENT).exists()
    response = agent_client.post(url("action", ticket.pk, "reply"),
                                 {"action": "reply", **data, "send_anyway": "on"})
    assert response.status_code == 302
    assert ticket.messages.filter(kind=Message.Kind.AGENT).exists()


def test_collision_notice(client, two_orgs, agent_client):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    other = make_agent(StaffFactory(email="bea@helpdesk.example", full_name="Bea Agent"))
    client2 = type(agent_client)()
    client2.force_login(other)
    client2.get(url("live", ticket.pk), {"typing": "1"})
    html = agent_client.get(url("live", ticket.pk)).content.decode()
    assert "Bea Agent is typing a reply on this ticket." in html


def test_email_preview_is_the_customers_email(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    html = agent_client.post(url("preview", ticket.pk), {"body": "Hello <there>"}
                             ).content.decode()
    assert f"[#{ticket.number}]" in html and "Hello &lt;there&gt;" in html
    assert "maria@acme.example" in html


def test_view_only_agent_sees_no_forms_and_cannot_post(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    viewer = StaffFactory(email="viewer@helpdesk.example")
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(viewer)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert 'id="desk-reply"' not in html and 'id="desk-update"' not in html
    assert client.post(url("action", ticket.pk, "claim"), {"action": "claim"}).status_code == 403
    assert client.post(url("action", ticket.pk, "reply"), {"action": "reply", "body": "x"}).status_code == 403


def test_merge_through_the_form_lands_on_the_survivor(agent_client, two_orgs):
    a = TicketFactory.create(requester=two_orgs.maria)
    b = TicketFactory.create(requester=two_orgs.maria)
    response = agent_client.post(url("action", a.pk, "merge"), {"action": "merge", "number": f"[#{b.number}]"})
    assert response["Location"].startswith(url("ticket", b.pk))
    other_org = TicketFactory.create(requester=two_orgs.ana)
    response = agent_client.post(url("action", b.pk, "merge"), {"action": "merge", "number": other_org.number})
    assert response.status_code == 400


@pytest.mark.parametrize("size", [1, 30])
def test_queue_queries_do_not_grow_with_the_page(agent_client, two_orgs, size,
                                                 django_assert_max_num_queries):
    for i in range(size):
        TicketFactory.create(requester=two_orgs.maria if i % 2 else two_orgs.ana,
                             subject=f"T{i}")
    agent_client.get(url("queue"))
    with django_assert_max_num_queries(16):
        assert agent_client.get(url("queue"), {"view": "all"}).status_code == 200


def test_ticket_queries_do_not_grow_with_its_length(agent_client, two_orgs):
    """The ticket page of a 200-message ticket (replies, internal notes, attachments, time
    entries, one audit event each) issues as many queries as the page of a 2-message one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    paid = freepbx_configuration_ticket(two_orgs)
    TicketFactory.create(requester=two_orgs.ana)  # the queue beside it is never empty
    counts = {}
    for total in (2, 41, 200):
        for i in range(Message.objects.filter(ticket=paid.ticket).count(), total):
            services.agent_reply_create(ticket=paid.ticket, agent=two_orgs.agent,
                                        body=f"m{i}", internal=bool(i % 2),
                                        files=[upload(f"f{i}.txt")] if i < 5 else [])
            services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=1)
        assert Message.objects.filter(ticket=paid.ticket).count() == total
        agent_client.get(url("ticket", paid.ticket.pk))  # warm: the same caches each time
        with CaptureQueriesContext(connection) as captured:
            response = agent_client.get(url("ticket", paid.ticket.pk))
        assert response.status_code == 200 and "m199" in response.content.decode() \
            or total < 200
        counts[total] = len(captured)
    assert counts[2] == counts[41] == counts[200], counts


def test_a_long_ticket_opens_on_its_newest_messages_and_shows_the_rest_on_demand(
        agent_client, two_orgs, django_assert_max_num_queries):
    from desk.views import CONVERSATION_SHOWN

    ticket = TicketFactory.create(requester=two_orgs.maria, body="m00 the first message")
    for i in range(1, CONVERSATION_SHOWN + 6):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body=f"m{i:02d} news")
    oldest_shown = CONVERSATION_SHOWN + 6 - CONVERSATION_SHOWN
    html = agent_client.get(url("ticket", ticket.pk)).content.decode()
    assert f"m{oldest_shown:02d} news" in html and f"m{oldest_shown - 1:02d} news" not in html
    assert "m00 the first message" not in html
    first_shown = ticket.messages.order_by("created_at", "id")[oldest_shown].pk
    earlier = url("earlier", ticket.pk) + f"?before={first_shown}"
    assert f'hx-get="{earlier}"' in html and "Show earlier messages" in html
    # the newest customer message shown is what the agent has seen: no false "newer" warning
    assert f'value="{ticket.messages.order_by("-id").first().pk}"' in html
    with django_assert_max_num_queries(16):
        rest = agent_client.get(earlier, HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="desk-earlier").content.decode()
    assert "m00 the first message" in rest and f"m{oldest_shown - 1:02d} news" in rest
    assert f"m{oldest_shown:02d} news" not in rest and "Show earlier messages" not in rest
    assert rest.index("m00 the first") < rest.index("m01 news")  # oldest first
    assert agent_client.get(url("earlier", ticket.pk) + "?before=x").status_code == 200
    assert agent_client.get(url("earlier", 999999)).status_code == 404


def test_live_appends_new_messages_and_moves_the_seen_mark(agent_client, two_orgs,
                                                           django_assert_max_num_queries):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    first = ticket.messages.get().pk
    for i in range(3):
        services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body=f"News {i}",
                                     files=[upload(f"n{i}.txt")])
    agent_client.get(url("live", ticket.pk), {"after": first})
    with django_assert_max_num_queries(16):  # whatever the number of new messages
        html = agent_client.get(url("live", ticket.pk), {"after": first}).content.decode()
    assert all(f"News {i}" in html for i in range(3)) and "n2.txt" in html
    assert 'hx-swap-oob="beforebegin:#desk-conversation-end"' in html
    last = ticket.messages.order_by("-id").first().pk
    assert f'id="id_seen_message" value="{last}"' in html and f"after={last}" in html
    assert "The customer wrote a new message." in html
    html = agent_client.get(url("live", ticket.pk), {"after": last}).content.decode()
    assert "News" not in html


def test_overview_counts_come_from_the_beat_job_not_the_page(agent_client, two_orgs,
                                                             django_assert_max_num_queries):
    from django.core.cache import cache

    from tickets import tasks
    from tickets import workspace_selectors as ws

    cache.delete(ws.OVERVIEW_CACHE_KEY)
    TicketFactory.create(requester=two_orgs.maria)
    tasks.queue_overview_refresh.delay()  # beat's job (eager in tests)
    assert cache.get(ws.OVERVIEW_CACHE_KEY) is not None
    agent_client.get(url("queue"))
    with django_assert_max_num_queries(16) as captured:
        agent_client.get(reverse("admin:tickets_ticket_overview"))
    assert not any("COUNT(" in q["sql"].upper() and "tickets_ticket" in q["sql"]
                   for q in captured.captured_queries)


def test_participants_added_and_removed_from_the_desk(agent_client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    html = agent_client.get(url("ticket", ticket.pk)).content.decode()
    assert "Juan Pérez" in html  # a colleague who may be added
    response = agent_client.post(url("action", ticket.pk, "participant_add"),
                                 {"action": "participant_add", "contact": two_orgs.juan.pk})
    assert response.status_code == 302
    assert ticket.participants.filter(contact=two_orgs.juan).exists()
    response = agent_client.post(url("action", ticket.pk, "participant_add"),
                                 {"action": "participant_add", "contact": two_orgs.ana.pk})
    assert response.status_code == 400  # another organization's contact: refused
    agent_client.post(url("action", ticket.pk, "participant_remove"),
                      {"action": "participant_remove", "contact": two_orgs.juan.pk})
    assert not ticket.participants.exists()


def test_counts_are_asked_for_by_the_page_and_capped(agent_client, two_orgs, monkeypatch):
    from tickets import desk_selectors

    monkeypatch.setattr(desk_selectors, "COUNT_CAP", 2)
    for _ in range(3):
        TicketFactory.create(requester=two_orgs.maria)
    html = agent_client.get(url("queue")).content.decode()
    assert 'hx-trigger="load, every 30s"' in html  # the page asks for them when shown
    html = agent_client.get(url("counts"), {"view": "unassigned"}).content.decode()
    assert '<span class="desk-count">2+</span>' in html  # never counts past the cap


def test_the_desk_wears_the_admin_header_without_building_the_app_list(
        agent_client, two_orgs, monkeypatch):
    from django.contrib import admin

    def app_list_built(*args, **kwargs):
        raise AssertionError("the desk built the admin's app list")

    monkeypatch.setattr(admin.site, "get_app_list", app_list_built)
    response = agent_client.get(url("queue"))
    html = response.content.decode()
    assert response.status_code == 200
    assert str(admin.site.site_header) in html and reverse("admin:logout") in html
    assert 'id="nav-sidebar"' not in html
