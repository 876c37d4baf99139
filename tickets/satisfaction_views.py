""""How did we do?" answered from the signed link of the email or the ticket page, with no
login: the click records the rating (first answer wins), the page then offers a comment."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import exceptions as exc
from . import satisfaction


@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    try:
        if request.method == "POST":
            comment = request.POST.get("comment", "")
            survey = satisfaction.satisfaction_comment(token=token, comment=comment)
            messages.success(request, _("Thank you for your comment."))
            return render(request, "tickets/satisfaction.html",
                          {"survey": survey, "recorded": False, "token": token})
        survey, recorded = satisfaction.satisfaction_rate(token=token)
    except exc.TicketsError as error:
        return render(request, "tickets/satisfaction.html",
                      {"errors": error.messages, "token": token,
                       "comment": request.POST.get("comment", "")}, status=400)
    return render(request, "tickets/satisfaction.html",
                  {"survey": survey, "recorded": recorded, "token": token})
