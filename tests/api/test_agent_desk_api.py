"""API v1 for agents, the rest of the desk: merge (same organization, audited), a move to
another department with its record fields, the entitlement decision and the refund (the
reason internal), participants (customers' and agents'), the queue overview."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credits.models import LedgerEntry
from credits.selectors import credit_balance_minutes
from tests.factories import ModuleLicenceFactory, TicketFactory, UserFactory
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets import participant_services, services
from tickets import workspace_selectors as ws
from tickets.models import Message, Ticket, TicketEvent, TicketParticipant

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_api(two_orgs, api_for):
    return api_for(make_agent(two_orgs.agent))


def errors(response) -> dict:
    return {e["attr"]: e["detail"] for e in response.json()["errors"]}


# --- merge ---------------------------------------------------------------------------------

def test_merge_into_a_ticket_of_the_same_organization(two_orgs, agent_api):
    survivor = TicketFactory.create(requester=two_orgs.maria, subject="Trunk down")
    merged = TicketFactory.create(requester=two_orgs.juan, subject="Same trunk")
    response = agent_api.post(f"/api/v1/agent/tickets/{merged.number}/merge/",
                              {"into": f"[#{survivor.number}]"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["number"] == survivor.number
    assert [m["kind"] for m in data["messages"]] == ["customer", "customer"]
    assert not Message.objects.filter(ticket=merged).exists()
    merged.refresh_from_db()
    assert merged.merged_into == survivor and merged.status == Ticket.Status.RESOLVED
    assert TicketEvent.objects.get(ticket=merged, kind="merged").actor == two_orgs.agent
    assert "merged_from" in {e["kind"] for e in data["events"]}
    assert TicketParticipant.objects.filter(ticket=survivor, contact=two_orgs.juan).exists()


def test_merge_refused_across_organizations_and_twice(two_orgs, agent_api):
    acme = TicketFactory.create(requester=two_orgs.maria)
    globex = TicketFactory.create(requester=two_orgs.ana)
    other = agent_api.post(f"/api/v1/agent/tickets/{acme.number}/merge/",
                           {"into": globex.number}, format="json")
    assert other.status_code == 400
    assert errors(other) == {"non_field_errors": "There is no ticket with this number."}
    itself = agent_api.post(f"/api/v1/agent/tickets/{acme.number}/merge/",
                            {"into": acme.number}, format="json")
    assert errors(itself) == {"non_field_errors": "A ticket cannot be merged into itself."}
    assert not TicketEvent.objects.filter(kind__in=["merged", "merged_from"]).exists()


# --- moves ---------------------------------------------------------------------------------

def test_move_preview_offers_the_organizations_records(two_orgs, agent_api):
    paid = freepbx_configuration_ticket(two_orgs)
    url = f"/api/v1/agent/tickets/{paid.ticket.number}/move-preview/"
    preview = agent_api.get(url, {"department": "freepbx-commercial-modules"}).json()
    assert [f["name"] for f in preview["fields"]] == ["module_licence"]
    assert preview["allowed"] is False
    assert preview["reasons"] == ["None of your FreePBX commercial modules is under "
                                  "maintenance."]
    module = ModuleLicenceFactory(deployment=paid.deployment, module_name="EndPoint Manager")
    listed = agent_api.get(url, {"department": "freepbx-commercial-modules"}).json()
    assert listed["fields"][0]["choices"] == [{"value": module.pk,
                                               "label": "EndPoint Manager (DEP-1001)"}]
    chosen = agent_api.get(url, {"department": "freepbx-commercial-modules",
                                 "module_licence": module.pk}).json()
    assert chosen["allowed"] is True and chosen["fields"][0]["selected"] == module.pk
    globex_module = ModuleLicenceFactory(deployment__organization=two_orgs.globex)
    foreign = agent_api.get(url, {"department": "freepbx-commercial-modules",
                                  "module_licence": globex_module.pk})
    assert foreign.status_code == 400
    assert errors(foreign) == {"module_licence": "Choose one of this department's choices "
                                                 "for the organization."}
    assert agent_api.get(url, {"department": "nope"}).status_code == 400


def test_move_with_the_departments_field(two_orgs, agent_api):
    paid = freepbx_configuration_ticket(two_orgs)
    number = paid.ticket.number
    url = f"/api/v1/agent/tickets/{number}/"
    refused = agent_api.patch(url, {"department": "freepbx-commercial-modules",
                                    "status": "on_hold"}, format="json")
    assert refused.status_code == 400  # no module under maintenance: nothing changed
    assert Ticket.objects.get(number=number).status == Ticket.Status.NEW
    module = ModuleLicenceFactory(deployment=paid.deployment, module_name="EndPoint Manager")
    moved = agent_api.patch(url, {"department": "freepbx-commercial-modules",
                                  "module_licence": module.pk, "status": "on_hold"},
                            format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["move"]["allowed"] is True
    assert moved.json()["move"]["fields"][0]["selected"] == module.pk
    ticket = Ticket.objects.get(number=number)
    assert (ticket.module_licence, ticket.status) == (module, Ticket.Status.ON_HOLD)
    assert agent_api.patch(url, {"status": "open"}, format="json").json()["move"] is None


def test_move_states_the_refund_and_keeps_the_reason_internal(two_orgs, agent_api,
                                                              api_for):
    paid = freepbx_configuration_ticket(two_orgs)
    number = paid.ticket.number
    services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=25)
    free = agent_api.patch(f"/api/v1/agent/tickets/{number}/",
                           {"department": "sipstation-general",
                            "reason": "Es un tema de troncales"}, format="json")
    assert free.status_code == 200, free.json()
    move = free.json()["move"]
    assert (move["allowed"], move["refund_minutes"], move["uses_credits"]) == (True, 25, False)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND, minutes=25).exists()
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 420
    assert any("troncales" in str(e["data"]) for e in free.json()["events"])
    customer = api_for(two_orgs.maria).get(f"/api/v1/tickets/{number}/")
    assert customer.status_code == 200
    assert "troncales" not in customer.content.decode()
    assert "25 credits refunded." in customer.content.decode()


def test_move_reports_the_refund_booked_and_checks_once(two_orgs, agent_api, monkeypatch):
    """Time logged after the API read the ticket and before the move locked it: the
    response states the refund the move booked (30), not a preview (25); the entitlement
    rules and the department's fields run once."""
    from entitlements import engine
    from tickets import desk_selectors, desk_services

    paid = freepbx_configuration_ticket(two_orgs)
    services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=25)
    calls = {"evaluate": 0, "move_fields": 0}

    def counted(name, real):
        def call(**kwargs):
            calls[name] += 1
            return real(**kwargs)
        return call

    monkeypatch.setattr(engine, "evaluate", counted("evaluate", engine.evaluate))
    monkeypatch.setattr(desk_selectors, "move_fields",
                        counted("move_fields", desk_selectors.move_fields))
    update = desk_services.ticket_update

    def update_after_a_late_entry(**kwargs):
        services.time_entry_create(ticket=paid.ticket, agent=two_orgs.agent, minutes=5)
        calls["evaluate"] = 0  # the entry's own checks are not the move's
        return update(**kwargs)

    monkeypatch.setattr(desk_services, "ticket_update", update_after_a_late_entry)
    moved = agent_api.patch(f"/api/v1/agent/tickets/{paid.ticket.number}/",
                            {"department": "sipstation-general"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["move"]["refund_minutes"] == 30
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND, minutes=30).exists()
    assert calls == {"evaluate": 1, "move_fields": 1}


def test_a_record_beyond_the_offered_200_is_accepted(two_orgs, agent_api):
    """The choices offered are capped (200), the validation is not."""
    from entitlements.models import ModuleLicence

    paid = freepbx_configuration_ticket(two_orgs)
    first = ModuleLicenceFactory(deployment=paid.deployment, module_name="Module 000")
    ModuleLicence.objects.bulk_create([
        ModuleLicence(deployment=paid.deployment, module_name=f"Module {i:03}",
                      purchased_on=first.purchased_on,
                      maintenance_ends_on=first.maintenance_ends_on) for i in range(1, 210)])
    last = ModuleLicence.objects.get(module_name="Module 209")
    url = f"/api/v1/agent/tickets/{paid.ticket.number}/"
    preview = agent_api.get(url + "move-preview/", {"department": "freepbx-commercial-modules",
                                                    "module_licence": last.pk})
    assert preview.status_code == 200, preview.json()
    assert len(preview.json()["fields"][0]["choices"]) == 200
    moved = agent_api.patch(url, {"department": "freepbx-commercial-modules",
                                  "module_licence": last.pk}, format="json")
    assert moved.status_code == 200, moved.json()
    assert Ticket.objects.get(pk=paid.ticket.pk).module_licence == last


def test_records_only_with_a_move(two_orgs, agent_api):
    paid = freepbx_configuration_ticket(two_orgs)
    response = agent_api.patch(f"/api/v1/agent/tickets/{paid.ticket.number}/",
                               {"deployment": paid.deployment.pk}, format="json")
    assert response.status_code == 400
    assert "moves to another department" in str(errors(response))


# --- participants --------------------------------------------------------------------------

def test_the_requester_manages_participants_others_read_them(two_orgs, api_for):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    url = f"/api/v1/tickets/{ticket.number}/participants/"
    juan = api_for(two_orgs.juan)
    colleague = UserFactory(organization=two_orgs.acme, email="pat@acme.example")
    added = juan.post(url, {"email": "PAT@acme.example"}, format="json")
    assert added.status_code == 201, added.json()
    assert added.json()["contact_id"] == colleague.pk
    assert added.json()["source"] == "api"  # added through the API, not on the site
    assert juan.post(url, {"email": colleague.email}, format="json").status_code == 200
    assert TicketEvent.objects.filter(ticket=ticket, kind="participant_added").count() == 1
    for stranger in (two_orgs.ana.email, "nobody@acme.example", two_orgs.agent.email):
        refused = juan.post(url, {"email": stranger}, format="json")
        assert refused.status_code == 400, stranger
    # The organization's admin reads the list (as on the ticket page), does not change it.
    maria = api_for(two_orgs.maria)
    listed = maria.get(url).json()["results"]
    assert [p["email"] for p in listed] == [colleague.email]
    assert maria.delete(f"{url}{colleague.pk}/").status_code == 403
    assert api_for(colleague).delete(f"{url}{colleague.pk}/").status_code == 403
    assert api_for(two_orgs.ana).get(url).status_code == 404  # another organization's
    assert juan.delete(f"{url}{colleague.pk}/").status_code == 204
    assert juan.delete(f"{url}{colleague.pk}/").status_code == 404
    assert TicketEvent.objects.filter(ticket=ticket, kind="participant_removed").count() == 1


def test_agents_manage_participants(two_orgs, agent_api):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    url = f"/api/v1/agent/tickets/{ticket.number}/participants/"
    added = agent_api.post(url, {"email": two_orgs.juan.email}, format="json")
    assert added.status_code == 201 and added.json()["source"] == "agent"
    for _ in range(3):
        participant_services.ticket_participant_add(
            ticket=ticket, contact=UserFactory(organization=two_orgs.acme),
            actor=two_orgs.agent, source=TicketParticipant.Source.AGENT)
    with CaptureQueriesContext(connection) as queries:
        listed = agent_api.get(url)
    assert len(listed.json()["results"]) == 4
    few = len(queries)
    participant_services.ticket_participant_add(
        ticket=ticket, contact=UserFactory(organization=two_orgs.acme),
        actor=two_orgs.agent, source=TicketParticipant.Source.AGENT)
    with CaptureQueriesContext(connection) as queries:
        assert len(agent_api.get(url).json()["results"]) == 5
    assert len(queries) == few  # one more participant, no more query
    assert agent_api.delete(f"{url}{two_orgs.juan.pk}/").status_code == 204
    assert agent_api.post(url, {"email": two_orgs.ana.email}, format="json"
                          ).status_code == 400


# --- the overview --------------------------------------------------------------------------

def test_overview_counts_from_the_desks_selectors_and_cache(two_orgs, agent_api):
    TicketFactory.create(requester=two_orgs.maria, department_code="sipstation-general")
    TicketFactory.create(requester=two_orgs.ana, department_code="sipstation-general")
    ws.queue_overview_refresh()
    data = agent_api.get("/api/v1/agent/overview/").json()
    assert data["views"]["unassigned"] == {"count": 2, "capped": False}
    assert data["views"]["mine"] == {"count": 0, "capped": False}
    assert data["views"]["quarantine"] == {"count": 0, "capped": False}
    row = next(r for r in data["departments"] if r["code"] == "sipstation-general")
    assert (row["new"], row["unassigned"]) == (2, 2)
    # Kept in the cache (beat refreshes it): a third ticket shows after the next refresh.
    TicketFactory.create(requester=two_orgs.maria, department_code="sipstation-general")
    cached = agent_api.get("/api/v1/agent/overview/").json()
    assert next(r for r in cached["departments"]
                if r["code"] == "sipstation-general")["new"] == 2
    assert cached["views"]["unassigned"]["count"] == 3  # the views are counted live


def test_refusals_in_the_agents_language(two_orgs, api_for):
    agent = make_agent(two_orgs.agent)
    agent.language = "es"
    agent.save()
    paid = freepbx_configuration_ticket(two_orgs)
    api = api_for(agent)
    url = f"/api/v1/agent/tickets/{paid.ticket.number}/"
    foreign = ModuleLicenceFactory(deployment__organization=two_orgs.globex)
    assert errors(api.get(url + "move-preview/", {"department": "freepbx-commercial-modules",
                                                  "module_licence": foreign.pk})) == {
        "module_licence": "Elija una de las opciones de este departamento para la "
                          "organización."}
    assert errors(api.patch(url, {"deployment": paid.deployment.pk}, format="json")) == {
        "non_field_errors": "Los registros solo se eligen cuando el ticket pasa a otro "
                            "departamento."}
