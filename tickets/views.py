from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors
from .models import Ticket


@login_required
def my_tickets(request):
    tickets = (selectors.tickets_visible_to(user=request.user)
               .filter(status__in=Ticket.OPEN_STATUSES).select_related("department"))
    return render(request, "tickets/my_tickets.html", {"tickets": tickets[:50]})
