"""The customer's Credits page (organization admins only): balance, ledger, CSV export,
prepaid card redemption and bundle requests. Thin: services and selectors do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import exceptions as exc
from . import selectors, services
from .csv_export import ledger_csv_response
from .forms import BundleRequestForm, RedeemCardForm
from .models import BUNDLE_MINUTES
from .reasons import customer_reason
from .sparkline import sparkline

PAGE_SIZE = 25


def _account_or_404(request):
    account = selectors.credit_account_for_admin(actor=request.user)
    if account is None:
        raise Http404
    return account


@login_required
@require_GET
def credits_page(request):
    account = _account_or_404(request)
    return _page(request, account)


def _page(request, account, *, redeem_form=None, bundle_form=None, status: int = 200):
    """The Credits page; a refused form comes back bound (what was typed kept, the error
    beside it) with status 400."""
    page = Paginator(selectors.ledger_entries_for_account(account=account),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        entry.customer_reason = customer_reason(entry)
    months = selectors.monthly_balances(account=account, today=timezone.localdate())
    return render(request, "credits/credits.html", {
        "account": account, "page": page, "balance_note": _balance_note(account, page),
        "months": months, "spark": sparkline([balance for _month, balance in months]),
        "orders": selectors.purchase_orders_for_account(account=account),
        "redeem_form": redeem_form or RedeemCardForm(),
        "bundle_form": bundle_form or BundleRequestForm(
            initial={"minutes": _suggested_bundle(request)}),
    }, status=status)


def _suggested_bundle(request) -> int:
    """The bundle a "Buy credits" fix suggested (?bundle=), else the smallest."""
    try:
        minutes = int(request.GET.get("bundle", ""))
    except ValueError:
        return BUNDLE_MINUTES[0]
    return minutes if minutes in BUNDLE_MINUTES else BUNDLE_MINUTES[0]


def _balance_note(account, page) -> str:
    """Which notice the balance deserves: overdrawn, empty (only once credits were ever
    used or added: an account that never had any needs no alarm), low, or none."""
    if account.is_overdrawn:
        return "overdrawn"
    if account.balance_minutes == 0:
        return "empty" if page.paginator.count else ""
    if account.balance_minutes < account.low_balance_threshold_minutes:
        return "low"
    return ""


@login_required
@require_GET
def credits_export(request):
    return ledger_csv_response(account=_account_or_404(request))


@login_required
@require_POST
def card_redeem(request):
    account = _account_or_404(request)
    form = RedeemCardForm(request.POST)
    if not form.is_valid():
        return _page(request, account, redeem_form=form, status=400)
    try:
        entry = services.prepaid_card_redeem(
            organization_id=account.organization_id, number=form.cleaned_data["number"],
            code=form.cleaned_data["code"], actor=request.user)
    except exc.CardRejected as error:
        for message in error.messages:
            form.add_error(None, message)
        return _page(request, account, redeem_form=form, status=400)
    messages.success(request, _("%(minutes)s credits added. New balance: %(balance)s.")
                     % {"minutes": entry.minutes, "balance": entry.balance_after_minutes})
    return redirect("credits:page")


@login_required
@require_POST
def bundle_request(request):
    account = _account_or_404(request)
    form = BundleRequestForm(request.POST)
    if form.is_valid():
        order = services.purchase_order_request(organization_id=account.organization_id,
                                                minutes=form.cleaned_data["minutes"],
                                                actor=request.user)
        messages.success(request, _("Purchase order %(order)s created. The credits are added "
                                    "as soon as the payment is confirmed.")
                         % {"order": str(order)})
    else:
        messages.error(request, str(exc.BUNDLE_INVALID))
    return redirect("credits:page")
