import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.credits.api_urls")]


def test_department_decisions(client, two_orgs):
    client.force_login(two_orgs.ana)
    data = {d["department"]: d for d in client.get("/api/entitlements/departments/").json()}
    assert data["sipstation-general"]["allowed"] is True
    config = data["pbxact-ucc-configuration"]
    assert config["allowed"] is False and config["balance_minutes"] == 0
    assert [r["code"] for r in config["reasons"]] == ["no_credits"]
