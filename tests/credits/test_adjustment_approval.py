"""Manual adjustments are bounded per entry; larger ones wait for a second staff member
(four-eyes); overflowing values are form errors, never a 500 (credits/services.py)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from credits import exceptions as exc
from credits import services
from credits.models import LEDGER_MINUTES_LIMIT, AdjustmentRequest, CreditAccount, LedgerEntry
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

HUGE = [str(2**63), str(2**63 - 1), "-" + str(2**63), "1000000000", "9" * 40]


@pytest.fixture
def agents(two_orgs):
    group = Group.objects.get(name="Agents")
    second = StaffFactory(email="second@helpdesk.example")
    for user in (two_orgs.agent, second):
        user.groups.add(group)
    return two_orgs.agent, second


def _adjust_url(two_orgs):
    account = services.credit_account_ensure(organization_id=two_orgs.acme.pk)
    return reverse("admin:credits_creditaccount_adjust", args=[account.pk])


def _balance(org) -> int:
    return CreditAccount.objects.get(organization=org).balance_minutes


def test_an_adjustment_within_the_bound_is_booked_at_once(client, two_orgs, agents, settings):
    settings.CREDIT_ADJUSTMENT_MAX_MINUTES = 100
    client.force_login(agents[0])
    response = client.post(_adjust_url(two_orgs), {"minutes": "-100", "reason": "Goodwill"})
    assert response.status_code == 302
    assert _balance(two_orgs.acme) == -100 and not AdjustmentRequest.objects.exists()


def test_above_the_bound_a_second_staff_member_approves(client, two_orgs, agents, settings):
    settings.CREDIT_ADJUSTMENT_MAX_MINUTES = 100
    first, second = agents
    client.force_login(first)
    response = client.post(_adjust_url(two_orgs), {"minutes": "101", "reason": "Migration"},
                           follow=True)
    assert any("second staff member" in str(m) for m in response.context["messages"])
    request = AdjustmentRequest.objects.get()
    assert (request.status, request.minutes, request.requested_by) == ("pending", 101, first)
    assert _balance(two_orgs.acme) == 0

    changelist = reverse("admin:credits_adjustmentrequest_changelist")
    # The requester cannot approve their own request.
    response = client.post(changelist, {"action": "approve", "_selected_action": [request.pk]},
                           follow=True)
    assert any(str(exc.ADJUSTMENT_OWN_REQUEST) in str(m) for m in response.context["messages"])
    assert AdjustmentRequest.objects.get().status == "pending" and _balance(two_orgs.acme) == 0

    client.force_login(second)
    client.post(changelist, {"action": "approve", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", second)
    assert request.decided_at is not None
    assert (request.entry.minutes, request.entry.actor, request.entry.reason) == (
        101, first, "Migration")
    assert _balance(two_orgs.acme) == 101
    # Decided once: a second approval books nothing more.
    client.post(changelist, {"action": "approve", "_selected_action": [request.pk]})
    assert _balance(two_orgs.acme) == 101 and LedgerEntry.objects.count() == 1


def test_a_rejected_request_books_nothing(two_orgs, agents, settings):
    settings.CREDIT_ADJUSTMENT_MAX_MINUTES = 10
    first, second = agents
    pending = services.adjustment_submit(organization_id=two_orgs.acme.pk, minutes=-50,
                                         reason="Wrong org", actor=first)
    decided = services.adjustment_request_decide(request_id=pending.pk, actor=second,
                                                 approve=False)
    assert (decided.status, decided.decided_by, decided.entry) == ("rejected", second, None)
    assert not LedgerEntry.objects.exists()
    with pytest.raises(exc.InvalidCreditInput) as caught:
        services.adjustment_request_decide(request_id=pending.pk, actor=second, approve=True)
    assert caught.value.messages == [str(exc.ADJUSTMENT_NOT_PENDING)]


def test_the_service_refuses_to_book_a_large_adjustment_directly(two_orgs, settings):
    settings.CREDIT_ADJUSTMENT_MAX_MINUTES = 10
    with pytest.raises(exc.InvalidCreditInput) as caught:
        services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=11, reason="x",
                               actor=two_orgs.agent)
    assert caught.value.messages == [str(exc.ADJUSTMENT_NEEDS_APPROVAL % {"limit": 10})]


def test_only_staff_with_the_decide_permission_see_the_actions(client, two_orgs, settings):
    settings.CREDIT_ADJUSTMENT_MAX_MINUTES = 10
    pending = services.adjustment_submit(organization_id=two_orgs.acme.pk, minutes=20,
                                         reason="x", actor=two_orgs.agent)
    clerk = StaffFactory(email="clerk@helpdesk.example")  # staff, no permissions
    client.force_login(clerk)
    response = client.post(reverse("admin:credits_adjustmentrequest_changelist"),
                           {"action": "approve", "_selected_action": [pending.pk]})
    assert response.status_code == 403
    assert AdjustmentRequest.objects.get().status == "pending"


@pytest.mark.parametrize("minutes", HUGE)
@pytest.mark.parametrize("language, message", [
    ("en", "An adjustment may add or remove at most"),
    ("es", "Un ajuste puede añadir o quitar como máximo"),
])
def test_huge_values_are_a_form_error_in_both_languages(client, two_orgs, agents, minutes,
                                                        language, message):
    client.force_login(agents[0])
    User.objects.filter(pk=agents[0].pk).update(language=language)
    response = client.post(_adjust_url(two_orgs), {"minutes": minutes, "reason": "Typo"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LedgerEntry.objects.exists() and not AdjustmentRequest.objects.exists()


def test_a_balance_past_the_ledger_integers_is_refused_not_a_500(two_orgs, agents, settings):
    settings.CREDIT_ADJUSTMENT_MAX_MINUTES = settings.CREDIT_ADJUSTMENT_LIMIT_MINUTES = 2**40
    first, second = agents
    services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=LEDGER_MINUTES_LIMIT,
                           reason="fill", actor=first)
    with pytest.raises(exc.InvalidCreditInput) as caught:
        services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=1, reason="one more",
                               actor=first)
    assert caught.value.messages == [str(exc.BALANCE_OUT_OF_RANGE)]
    assert _balance(two_orgs.acme) == LEDGER_MINUTES_LIMIT


@pytest.mark.parametrize("minutes", HUGE)
def test_the_time_log_form_refuses_huge_values_without_a_500(client, two_orgs, agents, minutes):
    from tests.tickets.agent_setup import freepbx_configuration_ticket

    paid = freepbx_configuration_ticket(two_orgs)
    User.objects.filter(pk=agents[0].pk).update(language="es")
    client.force_login(agents[0])
    url = reverse("admin:desk_action", args=[paid.ticket.pk, "time"])
    response = client.post(url, {"action": "time", "minutes": minutes})
    assert response.status_code == 400
    html = response.content.decode()
    assert "menor o igual a" in html or "mayor o igual a" in html
    assert not LedgerEntry.objects.filter(kind="time_debit").exists()
