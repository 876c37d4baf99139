"""Credit expiry, when configured: leftover credits older than the cutoff expire, oldest
first, once per cutoff day, never overdrawing."""

import datetime as dt

import pytest
from django.utils import timezone

from credits import services, tasks
from credits.models import LedgerEntry
from credits.selectors import credit_balance_minutes

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _at(entry, days_ago):
    """Back-date an entry (the only way to age one; a test-only raw update)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE credits_ledgerentry SET created_at = %s WHERE id = %s",
                       [timezone.now() - days_ago * DAY, entry.pk])


def test_expiry_is_off_unless_configured(two_orgs, settings):
    settings.CREDITS_EXPIRY_MONTHS = None
    assert services.credits_expiry_cutoff(today=dt.date(2026, 3, 31)) is None
    assert tasks.credits_expire_all() == 0
    settings.CREDITS_EXPIRY_MONTHS = 12
    assert services.credits_expiry_cutoff(today=dt.date(2026, 3, 31)) == dt.date(2025, 3, 31)


def test_old_leftovers_expire_first_in_first_out(two_orgs, settings):
    settings.CREDITS_EXPIRY_MONTHS = 12
    org = two_orgs.acme.pk
    _at(services.credit_purchase(organization_id=org, minutes=120, idempotency_key="old"), 400)
    _at(services.credit_debit(organization_id=org, minutes=50, idempotency_key="d1"), 300)
    services.credit_purchase(organization_id=org, minutes=300, idempotency_key="new")
    assert tasks.credits_expire_all() == 1
    expiry = LedgerEntry.objects.get(kind="expiry")
    assert expiry.minutes == -70  # 120 bought long ago, 50 of them used
    assert credit_balance_minutes(organization_id=org) == 300
    assert tasks.credits_expire_all() == 0  # once per cutoff day


def test_expiry_never_overdraws(two_orgs):
    org = two_orgs.acme.pk
    _at(services.credit_purchase(organization_id=org, minutes=120, idempotency_key="old"), 400)
    services.credit_debit(organization_id=org, minutes=200, idempotency_key="d")
    assert services.credit_expire(organization_id=org,
                                  cutoff=timezone.localdate() - 365 * DAY) is None
    assert credit_balance_minutes(organization_id=org) == -80
