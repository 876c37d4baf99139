"""The customer site's support report for organization admins (anyone else: 404, like the
credits page)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from credits import selectors as credit_selectors

from . import organization_report as report


@require_GET
@login_required
def organization_report(request):
    account = credit_selectors.credit_account_for_admin(actor=request.user)
    if account is None:
        raise Http404
    organization_id = account.organization_id
    return render(request, "tickets/organization_report.html", {
        "organization": account.organization,
        "credits_per_month": report.credits_per_month(account=account),
        "credits_per_ticket": report.credits_per_ticket(account=account),
        "satisfaction": report.satisfaction(organization_id=organization_id),
        "first_responses": report.first_responses(organization_id=organization_id),
        "months": report.MONTHS,
    })
