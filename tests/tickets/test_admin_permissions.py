"""The Agents group, who edits what, and the records nobody edits."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from credits.models import LedgerEntry
from credits.services import ledger_entry_book
from tests.factories import StaffFactory, TicketFactory, department
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets import services
from tickets.agents_group import AGENTS_GROUP, agents_group_sync
from tickets.models import TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db


def test_the_migration_created_the_agents_group_with_its_permissions():
    perms = {f"{p.content_type.app_label}.{p.codename}"
             for p in Group.objects.get(name=AGENTS_GROUP).permissions.select_related(
                 "content_type")}
    for perm in ("tickets.view_ticket", "tickets.change_ticket", "tickets.add_message",
                 "tickets.add_timeentry", "tickets.add_cannedreply", "credits.view_ledgerentry",
                 "credits.add_ledgerentry", "accounts.view_organization",
                 "accounts.view_securityevent", "credits.adjust_decide",
                 "entitlements.view_supportcontract", "catalog.view_department",
                 "mailgateway.view_inboundmessage", "mailgateway.change_inboundmessage"):
        assert perm in perms, perm
    for perm in ("catalog.change_department", "catalog.add_product",
                 "entitlements.change_contractplan", "credits.change_ledgerentry",
                 "credits.delete_ledgerentry", "tickets.change_ticketevent",
                 "tickets.delete_ticketevent", "tickets.delete_ticket",
                 "tickets.change_timeentry", "accounts.change_securityevent",
                 "mailgateway.delete_inboundmessage", "mailgateway.add_inboundmessage"):
        assert perm not in perms, perm


def test_group_sync_is_idempotent_and_restores_a_removed_permission():
    group = Group.objects.get(name=AGENTS_GROUP)
    count = group.permissions.count()
    group.permissions.clear()
    agents_group_sync()
    agents_group_sync()
    assert Group.objects.get(name=AGENTS_GROUP).permissions.count() == count


def test_load_demo_makes_the_demo_agent_a_member():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    from accounts.models import User
    agent = User.objects.get(email="agent@helpdesk.example")
    assert agent.groups.filter(name=AGENTS_GROUP).exists()
    assert agent.has_perm("tickets.add_timeentry")


def test_staff_without_the_group_cannot_work_tickets(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    outsider = StaffFactory()
    client.force_login(outsider)
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 403
    assert client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).status_code == 403


def test_an_agent_without_the_time_permission_cannot_log_time(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    viewer = StaffFactory()
    from django.contrib.auth.models import Permission
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(viewer)
    page = reverse("admin:desk_ticket", args=[ticket.pk])
    assert 'id="desk-time"' not in client.get(page).content.decode()

    def act(name):
        return reverse("admin:desk_action", args=[ticket.pk, name])

    assert client.post(act("time"), {"action": "time", "minutes": 5}).status_code == 403
    assert client.post(act("reply"), {"action": "reply", "kind": "reply",
                                      "body": "x"}).status_code == 403
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("url_name", ["admin:catalog_department_change",
                                      "admin:catalog_product_change"])
def test_only_superusers_edit_the_catalogue(agent_client, admin_client, url_name):
    dep = department("freepbx-configuration")
    obj_id = dep.pk if "department" in url_name else dep.product_id
    url = reverse(url_name, args=[obj_id])
    assert agent_client.get(url).status_code == 200  # view only
    response = agent_client.post(url, {"code": "hacked"})
    assert response.status_code == 403
    assert admin_client.get(url).status_code == 200
    assert 'name="code"' in admin_client.get(url).content.decode()
    assert 'name="code"' not in agent_client.get(url).content.decode()


def test_audit_events_and_time_entries_are_read_only_for_everyone(agent_client, admin_client,
                                                                 two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    entry = services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=5)
    event = TicketEvent.objects.first()
    for client in (agent_client, admin_client):
        for name, pk in (("ticketevent", event.pk), ("timeentry", entry.pk)):
            assert client.get(reverse(f"admin:tickets_{name}_changelist")).status_code == 200
            assert client.get(reverse(f"admin:tickets_{name}_delete", args=[pk])).status_code == 403
            html = client.get(reverse(f"admin:tickets_{name}_change", args=[pk])).content.decode()
            assert 'name="_save"' not in html


def test_agents_cannot_change_or_delete_ledger_entries(two_orgs):
    make_agent(two_orgs.agent)
    agent = type(two_orgs.agent).objects.get(pk=two_orgs.agent.pk)
    assert agent.has_perm("credits.add_ledgerentry")
    assert not agent.has_perm("credits.change_ledgerentry")
    assert not agent.has_perm("credits.delete_ledgerentry")


def test_organization_page_gathers_contacts_credits_and_entitlements(agent_client, two_orgs):
    paid = freepbx_configuration_ticket(two_orgs)
    services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=25)
    ledger_entry_book(organization_id=two_orgs.acme.pk, kind=LedgerEntry.Kind.ADJUSTMENT,
                      minutes=5, idempotency_key="goodwill", reason="Goodwill")
    html = agent_client.get(reverse("admin:accounts_organization_change",
                                    args=[two_orgs.acme.pk])).content.decode()
    for text in ("maria@acme.example", "juan@acme.example", "Organization admin", "400",
                 "Goodwill", paid.ticket.number, "DEP-1001", "Test Standard",
                 f"?organization__id__exact={two_orgs.acme.pk}"):
        assert text in html, text


def test_workspace_posts_need_the_csrf_token(two_orgs):
    from django.test import Client

    make_agent(two_orgs.agent)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    client = Client(enforce_csrf_checks=True)
    client.force_login(two_orgs.agent)
    page = reverse("admin:desk_action", args=[ticket.pk, "time"])
    assert client.post(page, {"action": "time", "minutes": 5}).status_code == 403
    assert client.post(reverse("admin:desk_bulk"), {
        "ticket": [ticket.pk], "status": "resolved"}).status_code == 403
    assert not TimeEntry.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_audit_lists_cap_their_count(agent_client, two_orgs, monkeypatch):
    from tickets.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    for status in ("open", "on_hold", "open"):
        services.ticket_status_change(ticket=ticket, actor=two_orgs.agent, status=status)
    html = agent_client.get(reverse("admin:tickets_ticketevent_changelist")).content.decode()
    assert "more than 2" in html


def test_every_organization_link_opens_for_an_agent(agent_client, two_orgs):
    import re

    paid = freepbx_configuration_ticket(two_orgs)
    org_page = reverse("admin:accounts_organization_change", args=[two_orgs.acme.pk])
    html = agent_client.get(org_page).content.decode()
    ticket_html = agent_client.get(reverse("admin:desk_ticket",
                                           args=[paid.ticket.pk])).content.decode()
    links = set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/\?[^"]+)"',
                           html + ticket_html))
    assert any("organization" in link or "q=Acme" in link for link in links), links
    for link in links:
        response = agent_client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link


def test_agents_manage_canned_replies_in_the_admin(agent_client, two_orgs):
    from tickets.models import CannedReply

    response = agent_client.post(reverse("admin:tickets_cannedreply_add"), {
        "title": "Ask for a SIP trace", "body": "Please send a SIP trace.", "department": "",
        "is_active": "on"})
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert reply.created_by == two_orgs.agent
    agent_client.post(reverse("admin:tickets_cannedreply_change", args=[reply.pk]), {
        "title": "Ask for a SIP trace", "body": "Please send a pcap.", "department": ""})
    reply.refresh_from_db()
    assert reply.body == "Please send a pcap." and not reply.is_active
    agent_client.post(reverse("admin:tickets_cannedreply_delete", args=[reply.pk]),
                      {"post": "yes"})
    assert not CannedReply.objects.exists()
