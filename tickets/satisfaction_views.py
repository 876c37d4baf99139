""""How did we do?" answered from the signed link of the email or the ticket page, with no
login: the click records the rating (the last click counts for a few days; both answers in
seconds, a mail scanner's, count for none), the page then offers a comment and the other
answer."""

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import exceptions as exc
from . import satisfaction
from .models import SatisfactionSurvey


def _links(survey: SatisfactionSurvey, ratings) -> list[tuple[str, str, str]]:
    labels = dict(SatisfactionSurvey.Rating.choices)
    return [(rating, str(labels[rating]), reverse("tickets:satisfaction", args=[
        satisfaction.token_for(survey=survey, rating=rating)])) for rating in ratings]


@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    try:
        if request.method == "POST":
            comment = request.POST.get("comment", "")
            survey = satisfaction.satisfaction_comment(token=token, comment=comment)
            messages.success(request, _("Thank you for your comment."))
            return render(request, "tickets/satisfaction.html",
                          {"survey": survey, "outcome": satisfaction.UNCHANGED, "token": token})
        survey, outcome = satisfaction.satisfaction_rate(token=token)
    except exc.TicketsError as error:
        return render(request, "tickets/satisfaction.html",
                      {"errors": error.messages, "token": token,
                       "comment": request.POST.get("comment", "")}, status=400)
    if outcome == satisfaction.VOIDED:
        links = _links(survey, SatisfactionSurvey.Rating.values)
    elif outcome == satisfaction.FINAL:
        links = []
    else:
        links = _links(survey, [r for r in SatisfactionSurvey.Rating.values
                                if r != survey.rating])
    return render(request, "tickets/satisfaction.html", {
        "survey": survey, "outcome": outcome, "token": token, "links": links,
        "change_until": satisfaction.change_until(survey=survey)})
