"""Staff screens: the ledger is read-only for everyone, adjustments are new entries with a
reason, card batches are downloaded once, purchase orders are marked paid once."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import User
from credits import services
from credits.models import CreditAccount, LedgerEntry, PrepaidCard, PurchaseOrder
from tests.factories.credits import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, two_orgs):
    superuser = User.objects.create_superuser("root@helpdesk.test", "pw")
    client.force_login(superuser)
    client.superuser = superuser
    return client


def test_ledger_cannot_be_added_changed_or_deleted_even_by_a_superuser(admin_client, two_orgs):
    entry = book(two_orgs.acme, 120)
    assert admin_client.get(reverse("admin:credits_ledgerentry_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:credits_ledgerentry_add")).status_code == 403
    assert admin_client.get(reverse("admin:credits_ledgerentry_delete",
                                    args=[entry.pk])).status_code == 403
    response = admin_client.post(reverse("admin:credits_ledgerentry_change", args=[entry.pk]),
                                 {"minutes": 999})
    assert response.status_code == 403
    response = admin_client.post(reverse("admin:credits_ledgerentry_changelist"),
                                 {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert LedgerEntry.objects.get(pk=entry.pk).minutes == 120


def test_manual_adjustment_requires_a_reason(admin_client, two_orgs):
    account = services.credit_account_ensure(organization_id=two_orgs.acme.pk)
    url = reverse("admin:credits_creditaccount_adjust", args=[account.pk])
    response = admin_client.post(url, {"minutes": "30", "reason": ""})
    assert response.status_code == 200 and LedgerEntry.objects.count() == 0
    response = admin_client.post(url, {"minutes": "30", "reason": "Courtesy for outage"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.minutes, entry.actor) == ("adjustment", 30,
                                                        admin_client.superuser)
    assert CreditAccount.objects.get(pk=account.pk).balance_minutes == 30


def test_card_batch_download(admin_client):
    response = admin_client.post(reverse("admin:credits_prepaidcard_generate"),
                                 {"minutes": "600", "count": "4", "batch": "distributor-a"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["card_number", "verification_code", "credits"]
    assert len(rows) == 5 and all(r[2] == "600" for r in rows[1:])
    assert PrepaidCard.objects.filter(batch="distributor-a").count() == 4
    assert admin_client.get(reverse("admin:credits_prepaidcard_changelist")).status_code == 200


def test_purchase_order_mark_paid_action_books_once(admin_client, two_orgs):
    order = services.purchase_order_request(organization_id=two_orgs.acme.pk, minutes=300,
                                            actor=two_orgs.maria)
    url = reverse("admin:credits_purchaseorder_changelist")
    for _ in range(2):
        admin_client.post(url, {"action": "mark_paid", "_selected_action": [order.pk]})
    assert PurchaseOrder.objects.get(pk=order.pk).status == "paid"
    assert CreditAccount.objects.get(organization=two_orgs.acme).balance_minutes == 300
    assert LedgerEntry.objects.count() == 1


def test_account_page_links_to_its_ledger(admin_client, two_orgs):
    book(two_orgs.acme, 120)
    book(two_orgs.globex, 300)
    account = CreditAccount.objects.get(organization=two_orgs.acme)
    page = admin_client.get(reverse("admin:credits_creditaccount_change", args=[account.pk]))
    link = reverse("admin:credits_ledgerentry_changelist") + f"?account__id__exact={account.pk}"
    assert link in page.content.decode()
    response = admin_client.get(link)
    assert response.status_code == 200
    assert [e.minutes for e in response.context["cl"].result_list] == [120]
