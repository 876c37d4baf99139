"""The design-system page: every component of the customer site on one page, for
developers (staff only). Nothing here reads or writes data."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

SAMPLE_STATUSES = ("new", "open", "waiting_customer", "on_hold", "resolved")


@require_GET
@staff_member_required
def design_system(request):
    return render(request, "design/system.html", {"statuses": SAMPLE_STATUSES})
