"""Reports against a hand-built data set with known answers; access for Support managers
and superusers only; CSV; filters; Spanish."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Organization
from tests.reports.conftest import url

pytestmark = pytest.mark.django_db
RANGE = "?date_from=2026-12-07&date_to=2026-12-09"


def table(response):
    return [[str(c) for c in row] for row in response.context["report"].rows]


BACKLOG = [["2026-12-07", "1", "0", "1", "0"], ["2026-12-08", "1", "2", "0", "0"],
           ["2026-12-09", "1", "0", "1", "1"]]


def test_backlog(manager_client):
    assert table(manager_client.get(url("backlog") + RANGE)) == BACKLOG
    # Starting later: the open and waiting counts carry over from the days before.
    assert table(manager_client.get(url("backlog") + "?date_from=2026-12-09&date_to="
                                    "2026-12-10")) == [BACKLOG[2], ["2026-12-10", "0", "0",
                                                                    "1", "1"]]


def test_response_times(manager_client):
    # First responses: 30 and 1410 minutes; resolutions: 60 and 1420 minutes (median and
    # 90th percentile interpolated between ranks, as PostgreSQL's percentile_cont).
    assert table(manager_client.get(url("response-times") + RANGE)) == [
        ["2026-12", "2", "720.0", "1272.0", "2", "740.0", "1284.0"]]


def test_sla_compliance_shows_one_breached_first_response(manager_client):
    rows = table(manager_client.get(url("sla-compliance") + RANGE))
    assert [r[2:] for r in rows] == [["Soporte Estándar", "1", "0", "1", "0.0"],
                                     ["Soporte Premium", "1", "1", "0", "100.0"]]
    assert {r[0] for r in rows} == {"2026-12"}


def test_satisfaction_per_department_and_agent(manager_client):
    rows = table(manager_client.get(url("satisfaction") + RANGE))
    assert rows[-1] == ["Agent: agent@helpdesk.example", "1", "1", "50.0"]
    assert rows[0][1:] == ["1", "1", "50.0"] and rows[0][0].startswith("Department: ")


def test_time_credits_queues_and_mail(manager_client):
    assert table(manager_client.get(url("time-and-credits") + RANGE)) == [
        ["2026-12", "Acme Telecom", "30", "30"]]
    rows = table(manager_client.get(url("tickets-by-queue") + RANGE))
    assert sorted(r[2] for r in rows) == ["1", "2"]
    assert table(manager_client.get(url("mail-outcomes") + RANGE)) == [
        ["Automatic mail (recorded, no action)", "1"], ["Quarantined", "1"],
        ["Added to a ticket", "2"]]


def test_organization_filter_and_csv(manager_client):
    initech = Organization.objects.get(name="Initech Voz")
    response = manager_client.get(url("sla-compliance") + RANGE + f"&organization={initech.pk}")
    assert [r[2] for r in table(response)] == ["Soporte Premium"]
    assert b"<svg" in response.content and b"<table" in response.content
    csv_response = manager_client.get(url("backlog") + RANGE + "&format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0] == ["Day", "New", "Resolved", "Open at the end of the day",
                       "Waiting at the end of the day"]
    assert rows[1:] == BACKLOG


def test_bad_filters_keep_the_input_and_explain(manager_client):
    response = manager_client.get(url("backlog") + "?date_from=2026-12-09&date_to=2026-12-01")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The end date must not be before the start date." in html and "2026-12-09" in html
    assert manager_client.get(url("backlog") + "?date_from=yesterday").status_code == 400
    assert manager_client.get(url("nope")).status_code == 404


def test_spanish(manager_client):
    from accounts.models import User

    User.objects.filter(email="boss@helpdesk.example").update(language="es")
    html = manager_client.get(url("backlog") + RANGE).content.decode()
    assert "Pendientes a lo largo del tiempo" in html and "Abiertos al final del día" in html


def test_only_managers_and_superusers(client, world, demo):
    client.force_login(demo["agent"])  # an agent, not a manager
    assert client.get(url("backlog")).status_code == 403
    assert client.get(reverse("admin:reports_index")).status_code == 403
    client.force_login(demo["admin"])  # superuser
    assert client.get(url("backlog")).status_code == 200
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:reports_index") in index
    client.logout()
    assert client.get(url("backlog")).status_code == 302


def test_organization_admins_see_their_own_part_on_the_customer_site(client, world, demo):
    client.force_login(demo["maria"])  # Acme's admin (Spanish)
    response = client.get(reverse("tickets:organization_report"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["credits_per_month"] == [("2026-12", 30)]
    assert ctx["credits_per_ticket"] == [(world["t1"].number, 30)]
    assert ctx["satisfaction"] == {"good": 1, "bad": 0}
    assert ctx["first_responses"] == [{"policy": "Soporte Estándar", "total": 1, "met": 0,
                                       "late": 1, "median_minutes": 1410}]
    assert "Informe de soporte" in response.content.decode()
    client.force_login(demo["luis"])  # Initech's admin sees Initech's only
    ctx = client.get(reverse("tickets:organization_report")).context
    assert ctx["satisfaction"] == {"good": 0, "bad": 1}
    assert [r["policy"] for r in ctx["first_responses"]] == ["Soporte Premium"]
    from django.utils import timezone

    demo["juan"].details_confirmed_at = timezone.now()
    demo["juan"].save()
    client.force_login(demo["juan"])  # a contact who is not an admin
    assert client.get(reverse("tickets:organization_report")).status_code == 404
