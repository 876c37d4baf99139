"""Issue 11: the Credits page tells each entry's reason in the reader's language (from its
code and parameters, never an agent's note), on the page and in the CSV; the balance
notices; the suggested bundle; the 12-month sparkline; the demo card."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from credits import services
from credits.demo import DEMO_CARD
from credits.models import CreditAccount, PrepaidCard

pytestmark = pytest.mark.django_db


def _debit_with_note(org, agent):
    services.credit_purchase(organization_id=org.pk, minutes=300, idempotency_key="p1")
    services.credit_debit(organization_id=org.pk, minutes=15, idempotency_key="t1",
                          actor=agent, reason="Agent time on ABC-123-45678: customer is rude",
                          ticket_number="ABC-123-45678", reason_code="time_debit",
                          reason_params={"ticket": "ABC-123-45678"})


def test_reasons_in_the_readers_language_without_the_agents_note(client, two_orgs):
    _debit_with_note(two_orgs.acme, two_orgs.agent)
    client.force_login(two_orgs.maria)
    html = client.get(reverse("credits:page"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Agent time on ABC-123-45678" in html
    assert "rude" not in html
    client.post(reverse("accounts:language"), {"language": "es", "next": "/credits/"})
    html = client.get(reverse("credits:page")).content.decode()
    assert "Tiempo de agente en ABC-123-45678" in html and "rude" not in html
    rows = list(csv.reader(io.StringIO(
        b"".join(client.get(reverse("credits:export")).streaming_content).decode())))
    assert rows[1][5] == "Tiempo de agente en ABC-123-45678"
    assert not any("rude" in cell for row in rows for cell in row)


def test_no_running_low_notice_on_an_account_that_never_had_credits(client, two_orgs):
    client.force_login(two_orgs.maria)
    html = client.get(reverse("credits:page")).content.decode()
    assert "data-balance-note" not in html


def test_low_and_empty_notices(client, two_orgs):
    services.credit_purchase(organization_id=two_orgs.acme.pk, minutes=120,
                             idempotency_key="p1")
    CreditAccount.objects.filter(organization=two_orgs.acme).update(
        low_balance_threshold_minutes=200)
    client.force_login(two_orgs.maria)
    assert 'data-balance-note="low"' in client.get(reverse("credits:page")).content.decode()
    services.credit_debit(organization_id=two_orgs.acme.pk, minutes=120, idempotency_key="t")
    assert 'data-balance-note="empty"' in client.get(reverse("credits:page")).content.decode()


def test_buy_credits_fix_preselects_the_suggested_bundle(client, two_orgs):
    client.force_login(two_orgs.maria)
    html = client.get(reverse("credits:page") + "?bundle=600").content.decode()
    assert '<option value="600" selected>' in html
    html = client.get(reverse("credits:page") + "?bundle=nonsense").content.decode()
    assert '<option value="120" selected>' in html


def test_sparkline_is_drawn_on_the_server(client, two_orgs):
    _debit_with_note(two_orgs.acme, two_orgs.agent)
    client.force_login(two_orgs.maria)
    html = client.get(reverse("credits:page")).content.decode()
    assert "<polyline points=" in html and "from 0 to 285" in html


def test_demo_card_is_created_once_and_redeems(client):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    assert PrepaidCard.objects.filter(number=DEMO_CARD["number"]).count() == 1
    from accounts.models import User

    maria = User.objects.get(email="maria@acme.example")
    entry = services.prepaid_card_redeem(organization_id=maria.organization_id,
                                         number=DEMO_CARD["number"], code=DEMO_CARD["code"],
                                         actor=maria)
    assert entry.minutes == 120 and entry.reason_code == "prepaid_card"


def test_credits_page_queries_do_not_grow_with_the_ledger(client, two_orgs,
                                                         django_assert_max_num_queries):
    client.force_login(two_orgs.maria)
    services.credit_purchase(organization_id=two_orgs.acme.pk, minutes=600,
                             idempotency_key="p0")
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("credits:page"))
    for n in range(40):
        services.credit_debit(organization_id=two_orgs.acme.pk, minutes=1,
                              idempotency_key=f"t{n}", reason_code="time_debit",
                              reason_params={"ticket": f"T-{n}"}, ticket_number=f"T-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("credits:page"))


@pytest.mark.parametrize("balance,bundle", [(0, 120), (-50, 120), (-200, 300), (-450, 600),
                                            (-5000, 600), (30, 120)])
def test_suggested_bundle_brings_the_balance_back_above_zero(balance, bundle):
    from credits.selectors import suggested_bundle_minutes

    assert suggested_bundle_minutes(balance_minutes=balance) == bundle
