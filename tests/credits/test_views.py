"""The customer's Credits page: org admins only, ledger, CSV, cards, bundle requests."""

import csv
import io

import pytest
from django.urls import reverse

from credits import services
from credits.models import LedgerEntry, PurchaseOrder
from tests.factories.credits import book

pytestmark = pytest.mark.django_db
PAGE = reverse("credits:page")


@pytest.fixture
def maria(client, two_orgs):
    client.force_login(two_orgs.maria)
    return client


def test_anonymous_is_sent_to_login(client, two_orgs):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["juan", "agent"])
def test_only_organization_admins_see_the_page(client, two_orgs, who):
    client.force_login(getattr(two_orgs, who))
    assert client.get(PAGE).status_code == 404
    assert client.get(reverse("credits:export")).status_code == 404
    assert client.post(reverse("credits:redeem"), {"number": "1", "code": "2"}).status_code == 404


def test_page_shows_balance_and_ledger_with_ticket_links(maria, two_orgs,
                                                         django_assert_max_num_queries):
    book(two_orgs.acme, 300)
    services.credit_debit(organization_id=two_orgs.acme.pk, minutes=25, ticket_id=1,
                          ticket_number="KXJ-482-19375", idempotency_key="te1",
                          actor=two_orgs.agent)
    book(two_orgs.globex, 600)  # another organization's entries never show
    with django_assert_max_num_queries(12):
        response = maria.get(PAGE)
    body = response.content.decode()
    assert response.status_code == 200
    assert "275" in body
    assert 'href="/tickets/KXJ-482-19375/"' in body
    assert "+300" in body and "-25" in body
    entries = list(response.context["page"].object_list)
    assert [e.minutes for e in entries] == [-25, 300]  # Globex's entry never shows


def test_ledger_is_paginated(maria, two_orgs, django_assert_max_num_queries):
    for _ in range(60):
        book(two_orgs.acme, 120)
    with django_assert_max_num_queries(12):
        response = maria.get(PAGE + "?page=3")
    assert response.context["page"].number == 3
    assert len(response.context["page"].object_list) == 10


def test_csv_export(maria, two_orgs):
    book(two_orgs.acme, 300)
    services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=-5,
                           reason="=HYPERLINK(\"x\")", actor=two_orgs.agent)
    response = maria.get(reverse("credits:export"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 3
    assert rows[1][3:5] == ["-5", "295"]
    assert rows[1][5].startswith("'=")  # no formula injection
    assert rows[2][3:5] == ["+300", "300"]


def test_redeem_a_card_once(maria, two_orgs):
    [(number, code)] = services.prepaid_card_batch_generate(count=1, minutes=300, actor=None)
    response = maria.post(reverse("credits:redeem"), {"number": number, "code": code},
                          follow=True)
    assert response.context["account"].balance_minutes == 300
    response = maria.post(reverse("credits:redeem"), {"number": number, "code": code})
    assert response.status_code == 400  # the page again, the number kept, the error shown
    assert "already been redeemed" in response.content.decode()
    assert f'value="{number}"' in response.content.decode()
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1


def test_redeem_is_post_only(maria):
    assert maria.get(reverse("credits:redeem")).status_code == 405


def test_bundle_request_creates_a_purchase_order_and_books_nothing(maria, two_orgs):
    response = maria.post(reverse("credits:bundle_request"), {"minutes": "300"}, follow=True)
    order = PurchaseOrder.objects.get()
    assert (order.minutes, order.status, order.requested_by) == (300, "pending", two_orgs.maria)
    assert str(order) in response.content.decode()
    assert LedgerEntry.objects.count() == 0
    maria.post(reverse("credits:bundle_request"), {"minutes": "250"})
    assert PurchaseOrder.objects.count() == 1


def test_csrf_is_enforced(two_orgs):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(two_orgs.maria)
    assert client.post(reverse("credits:bundle_request"), {"minutes": "300"}).status_code == 403


def test_viewing_the_page_creates_nothing(client, two_orgs):
    from credits.models import CreditAccount

    client.force_login(two_orgs.ana)
    response = client.get(PAGE)
    assert response.status_code == 200 and response.context["account"].balance_minutes == 0
    assert client.get(reverse("credits:export")).status_code == 200
    assert not CreditAccount.objects.exists()


def test_org_admins_get_a_credits_link_in_the_navigation(client, two_orgs):
    client.force_login(two_orgs.maria)
    assert 'href="/credits/"' in client.get("/").content.decode()
    client.force_login(two_orgs.juan)
    assert 'href="/credits/"' not in client.get("/").content.decode()


def test_credit_api_routes_answer_only_for_the_contacts_organization(client, two_orgs):
    client.force_login(two_orgs.maria)
    assert client.get("/api/credits/").status_code == 200
    assert client.get("/api/credits/ledger/").status_code == 200
    assert client.get("/api/entitlements/departments/").status_code == 200
