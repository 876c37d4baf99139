"""Contracts: creation and renewal grant the plan's credits once per term; reminders 30
and 7 days before the end, once each; module maintenance renewal."""

import datetime as dt

import pytest
from django.utils import timezone

from credits.models import LedgerEntry
from credits.selectors import credit_balance_minutes
from entitlements import services, tasks
from entitlements.dates import add_months
from tests.factories import (
    ContractPlanFactory,
    DeploymentFactory,
    ModuleLicenceFactory,
    SupportContractFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 15)
DAY = dt.timedelta(days=1)


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 11, 25), -12) == dt.date(2025, 11, 25)


def test_contract_create_grants_the_first_term_once(two_orgs):
    deployment = DeploymentFactory(organization=two_orgs.acme)
    contract = services.contract_create(deployment=deployment, plan=ContractPlanFactory(),
                                        starts_on=TODAY)
    assert contract.ends_on == dt.date(2027, 3, 14)
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 120
    entry = LedgerEntry.objects.get()
    assert entry.idempotency_key == f"contract:{contract.pk}:term:1"
    assert entry.contract_id == contract.pk and entry.kind == "contract_grant"


def test_renewal_adds_one_term_and_grants_once_per_term(two_orgs):
    contract = SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme),
                                      starts_on=TODAY - 300 * DAY, ends_on=TODAY + 64 * DAY)
    renewed = services.contract_renew(contract_id=contract.pk, today=TODAY)
    assert renewed.term_count == 2
    assert renewed.ends_on == add_months(TODAY + 65 * DAY, 12) - DAY
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 120
    # A retried grant of the same term books nothing more.
    services._grant_term(contract=renewed, actor=None)
    assert LedgerEntry.objects.filter(idempotency_key=f"contract:{contract.pk}:term:2").count() == 1
    services.contract_renew(contract_id=contract.pk, today=TODAY)
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == 240


def test_renewing_a_lapsed_contract_restarts_today(two_orgs):
    contract = SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme),
                                      starts_on=TODAY - 400 * DAY, ends_on=TODAY - 10 * DAY)
    renewed = services.contract_renew(contract_id=contract.pk, today=TODAY)
    assert renewed.ends_on == add_months(TODAY, 12) - DAY
    assert renewed.is_active_on(TODAY)


def test_module_purchase_includes_twelve_months_and_renews(two_orgs):
    deployment = DeploymentFactory(organization=two_orgs.acme)
    licence = services.module_licence_create(deployment=deployment, module_name="EPM",
                                             purchased_on=TODAY)
    assert licence.maintenance_ends_on == dt.date(2027, 3, 15)
    renewed = services.module_maintenance_renew(licence_id=licence.pk, today=TODAY)
    assert renewed.maintenance_ends_on == dt.date(2028, 3, 15)
    lapsed = ModuleLicenceFactory(deployment=deployment, purchased_on=TODAY - 500 * DAY,
                                  maintenance_ends_on=TODAY - 100 * DAY)
    assert services.module_maintenance_renew(
        licence_id=lapsed.pk, today=TODAY).maintenance_ends_on == dt.date(2027, 3, 15)


@pytest.mark.parametrize("days_left,expected", [(31, None), (30, 30), (8, 30), (7, 7), (0, 7),
                                                (-1, None)])
def test_which_reminder_is_due(two_orgs, days_left, expected):
    contract = SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme),
                                      starts_on=TODAY - 300 * DAY, ends_on=TODAY + days_left * DAY)
    assert services.contract_reminder_due(contract=contract, today=TODAY) == expected


def test_reminders_30_and_7_days_before_the_end_once_each(two_orgs, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    contract = SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme,
                                                                   code="DEP-1001"),
                                      starts_on=TODAY - 300 * DAY, ends_on=TODAY + 30 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.contract_reminder_send(contract_id=contract.pk, today=TODAY) == 30
        assert services.contract_reminder_send(contract_id=contract.pk, today=TODAY) is None
        assert services.contract_reminder_send(contract_id=contract.pk,
                                               today=TODAY + 10 * DAY) is None
    assert [m.to for m in mailoutbox] == [["maria@acme.example"]]  # org admins only
    assert "DEP-1001" in mailoutbox[0].subject and "30" in mailoutbox[0].subject
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.contract_reminder_send(contract_id=contract.pk,
                                               today=TODAY + 23 * DAY) == 7
        assert services.contract_reminder_send(contract_id=contract.pk,
                                               today=TODAY + 25 * DAY) is None
    assert len(mailoutbox) == 2 and "7" in mailoutbox[1].subject
    # After renewal the new end date gets its own reminders.
    renewed = services.contract_renew(contract_id=contract.pk, today=TODAY + 25 * DAY)
    assert services.contract_reminder_due(contract=renewed,
                                          today=renewed.ends_on - 30 * DAY) == 30


def test_beat_dispatch_sends_each_due_reminder_once(two_orgs, mailoutbox, settings,
                                                    django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    today = timezone.localdate()
    SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme),
                           starts_on=today - 300 * DAY, ends_on=today + 7 * DAY)
    SupportContractFactory(deployment=DeploymentFactory(organization=two_orgs.acme),
                           starts_on=today - 300 * DAY, ends_on=today + 100 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.contract_reminders_dispatch() == 1
        assert tasks.contract_reminders_dispatch() == 0
    assert len(mailoutbox) == 1


def test_beat_schedule_registers_the_reminders(settings):
    tasks_scheduled = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "entitlements.tasks.contract_reminders_dispatch" in tasks_scheduled
