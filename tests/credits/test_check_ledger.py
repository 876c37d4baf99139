import pytest
from django.core.management import CommandError, call_command

from credits.models import CreditAccount
from tests.factories.credits import book

pytestmark = pytest.mark.django_db


def test_clean_ledger_passes(two_orgs, capsys):
    book(two_orgs.acme, 300)
    book(two_orgs.acme, -45)
    book(two_orgs.globex, 120)
    call_command("check_ledger")
    assert "2 accounts checked" in capsys.readouterr().out


def test_balance_out_of_step_with_the_entries_fails(two_orgs):
    book(two_orgs.acme, 300)
    CreditAccount.objects.filter(organization=two_orgs.acme).update(balance_minutes=301)
    with pytest.raises(CommandError, match="1 of 1 accounts"):
        call_command("check_ledger")


def test_broken_balance_after_chain_fails(two_orgs, capsys):
    from django.db import connection

    book(two_orgs.acme, 300)
    entry = book(two_orgs.acme, -45)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # corrupt on purpose, past the trigger
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE credits_ledgerentry SET balance_after_minutes = 1 WHERE id = %s",
                       [entry.pk])
    with pytest.raises(CommandError):
        call_command("check_ledger")
    assert f"entry {entry.pk}: balance after 1, expected 255" in capsys.readouterr().err
