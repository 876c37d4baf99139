import pytest

from tests.factories.credits import book

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.credits.api_urls")]


def test_balance_and_ledger_for_org_admins(client, two_orgs, django_assert_max_num_queries):
    book(two_orgs.acme, 300)
    book(two_orgs.acme, -20, ticket_number="KXJ-482-19375")
    book(two_orgs.globex, 600)
    client.force_login(two_orgs.maria)
    assert client.get("/api/credits/").json()["balance_minutes"] == 280
    with django_assert_max_num_queries(8):
        data = client.get("/api/credits/ledger/").json()
    assert data["count"] == 2
    assert [(e["minutes"], e["ticket_number"]) for e in data["results"]] == [
        (-20, "KXJ-482-19375"), (300, "")]


@pytest.mark.parametrize("who", ["juan", "agent"])
def test_others_get_404(client, two_orgs, who):
    client.force_login(getattr(two_orgs, who))
    assert client.get("/api/credits/").status_code == 404
    assert client.get("/api/credits/ledger/").status_code == 404


def test_anonymous_is_refused(client, two_orgs):
    assert client.get("/api/credits/").status_code == 401  # WWW-Authenticate: Bearer
