""""How did we do?": a survey per resolution, answered with one click on a signed link.

The links carry (survey id, rating) signed with SECRET_KEY (django.core.signing, its own
salt, valid SURVEY_LINK_MAX_AGE_DAYS): nobody can forge or alter one, no login is needed,
and the first answer wins (single use: later clicks only show the answer given). After the
click a comment may be added once. Requesters whose address is an automatic sender's
(no-reply, mailer-daemon, ...) are never asked.
"""

from __future__ import annotations

import re

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import exceptions as exc
from .models import SatisfactionSurvey, Ticket, TicketEvent

SALT = "tickets.satisfaction"
SURVEY_LINK_MAX_AGE_DAYS = 60
COMMENT_MAX_CHARS = 2000
AUTOMATIC_SENDER = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?|"
    r"auto[-_.]?(reply|responder)|notifications?)([+-].*)?@", re.IGNORECASE)

LINK_INVALID = _("This link is not valid or has expired.")
COMMENT_NOT_ALLOWED = _("A comment can only be added once, after rating.")


def is_automatic_sender(email: str) -> bool:
    return bool(AUTOMATIC_SENDER.match(email or ""))


def survey_request(*, ticket: Ticket, now) -> SatisfactionSurvey | None:
    """Inside ticket_resolve's transaction (after its RESOLVED event): the survey of this
    resolution, unless the requester is an automatic sender."""
    if is_automatic_sender(ticket.requester.email):
        return None
    number = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.RESOLVED).count()
    survey, _created = SatisfactionSurvey.objects.get_or_create(
        ticket=ticket, resolution_number=max(number, 1),
        defaults={"department_id": ticket.department_id, "agent_id": ticket.assignee_id,
                  "requested_at": now})
    return survey


def token_for(*, survey: SatisfactionSurvey, rating: str) -> str:
    return signing.dumps({"s": survey.pk, "r": rating}, salt=SALT, compress=False)


def links_for(*, survey: SatisfactionSurvey | None, base_url: str = "") -> dict[str, str]:
    """{"good": url, "bad": url} for a survey still to answer; {} otherwise."""
    from django.urls import reverse

    if survey is None or survey.rating:
        return {}
    return {rating: base_url.rstrip("/") + reverse(
        "tickets:satisfaction", args=[token_for(survey=survey, rating=rating)])
        for rating in SatisfactionSurvey.Rating.values}


def latest_survey(*, ticket: Ticket) -> SatisfactionSurvey | None:
    if ticket.status != Ticket.Status.RESOLVED:
        return None
    return ticket.surveys.order_by("-resolution_number").first()


def _read(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=SALT, max_age=SURVEY_LINK_MAX_AGE_DAYS * 86400)
        survey_id, rating = int(data["s"]), str(data["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise exc.InvalidTicketInput(LINK_INVALID) from None
    if rating not in SatisfactionSurvey.Rating.values:
        raise exc.InvalidTicketInput(LINK_INVALID)
    return survey_id, rating


def satisfaction_rate(*, token: str) -> tuple[SatisfactionSurvey, bool]:
    """Record the link's rating unless the survey was already answered; returns the survey
    and whether this click recorded it."""
    survey_id, rating = _read(token)
    with transaction.atomic():
        survey = (SatisfactionSurvey.objects.select_for_update(of=("self",))
                  .select_related("ticket").filter(pk=survey_id).first())
        if survey is None:
            raise exc.InvalidTicketInput(LINK_INVALID)
        if survey.rating:
            return survey, False
        survey.rating, survey.rated_at = rating, timezone.now()
        survey.save(update_fields=["rating", "rated_at"])
        TicketEvent.objects.create(ticket=survey.ticket, actor=None,
                                   kind=TicketEvent.Kind.SATISFACTION_RATED,
                                   data={"rating": rating,
                                         "resolution": survey.resolution_number})
    return survey, True


def satisfaction_comment(*, token: str, comment: str) -> SatisfactionSurvey:
    """Add the optional comment, once, to the survey the link rated."""
    survey_id, rating = _read(token)
    comment = (comment or "").strip()[:COMMENT_MAX_CHARS]
    with transaction.atomic():
        survey = (SatisfactionSurvey.objects.select_for_update(of=("self",))
                  .select_related("ticket").filter(pk=survey_id).first())
        if survey is None:
            raise exc.InvalidTicketInput(LINK_INVALID)
        if survey.rating != rating or survey.comment or not comment:
            raise exc.InvalidTicketInput(COMMENT_NOT_ALLOWED)
        survey.comment = comment
        survey.save(update_fields=["comment"])
        TicketEvent.objects.create(ticket=survey.ticket, actor=None,
                                   kind=TicketEvent.Kind.SATISFACTION_RATED,
                                   data={"rating": rating, "comment": True,
                                         "resolution": survey.resolution_number})
    return survey
