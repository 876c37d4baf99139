""""How did we do?": a survey per resolution, answered with one click on a signed link.

The links carry (survey id, rating) signed with SECRET_KEY (django.core.signing, its own
salt, valid SURVEY_LINK_MAX_AGE_DAYS): nobody can forge or alter one, no login is needed,
and one answer counts per resolution. After the click a comment may be added once.
Requesters whose address is an automatic sender's (no-reply, mailer-daemon, ...) are never
asked.

Mail security scanners open the links of a message (some run its scripts too), so a click
is not always the customer's. Two rules keep their clicks from deciding:
- the customer's last click counts for CHANGE_DAYS after the first answer (the page offers
  the other answer), so a scanner's click is overwritten by the customer's;
- the other answer arriving within SCANNER_SECONDS of the first one (a scanner opening every
  link of the message; a person does not answer both ways in seconds) voids both: the
  survey is unanswered again and the page asks again.
No user-agent list: scanners present browsers' user agents, and a list would need upkeep
and still let them through.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import exceptions as exc
from .models import SatisfactionSurvey, Ticket, TicketEvent

SALT = "tickets.satisfaction"
SURVEY_LINK_MAX_AGE_DAYS = 60
CHANGE_DAYS = 7
SCANNER_SECONDS = 15
RECORDED, CHANGED, UNCHANGED, FINAL, VOIDED = "recorded", "changed", "unchanged", "final", "voided"
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


def satisfaction_rate(*, token: str) -> tuple[SatisfactionSurvey, str]:
    """Apply the link's rating (see the module): returns the survey and the outcome,
    RECORDED (first answer), CHANGED, UNCHANGED (same answer again), FINAL (past the change
    window, whichever answer: nothing changes, no comment) or VOIDED (both answers within seconds: none counts)."""
    survey_id, rating = _read(token)
    with transaction.atomic():
        survey = (SatisfactionSurvey.objects.select_for_update(of=("self",))
                  .select_related("ticket").filter(pk=survey_id).first())
        if survey is None:
            raise exc.InvalidTicketInput(LINK_INVALID)
        now = timezone.now()
        outcome = _outcome(survey, rating, now)
        if outcome in (UNCHANGED, FINAL) or (outcome == VOIDED and not survey.rating):
            return survey, outcome
        data = {"rating": rating, "resolution": survey.resolution_number}
        if outcome == VOIDED:
            data = {**data, "rating": "", "voided": [survey.rating, rating]}
            survey.rating, survey.rated_at, survey.first_rated_at = "", None, None
            survey.scanner_voided_at = now
        else:
            if outcome == CHANGED:
                data["changed_from"] = survey.rating
            survey.rating, survey.rated_at = rating, now
            survey.first_rated_at = survey.first_rated_at or now
        survey.save(update_fields=["rating", "rated_at", "first_rated_at",
                                   "scanner_voided_at"])
        TicketEvent.objects.create(ticket=survey.ticket, actor=None, created_at=now,
                                   kind=TicketEvent.Kind.SATISFACTION_RATED, data=data)
    return survey, outcome


def _outcome(survey: SatisfactionSurvey, rating: str, now) -> str:
    scan = dt.timedelta(seconds=SCANNER_SECONDS)
    if not survey.rating:  # the rest of a scanner's burst after a void is ignored too
        voided = survey.scanner_voided_at
        return VOIDED if voided is not None and now - voided <= scan else RECORDED
    first = survey.first_rated_at or survey.rated_at
    if now - first > dt.timedelta(days=CHANGE_DAYS):
        return FINAL  # the deadline first: past it, even the same answer offers no change
    if survey.rating == rating:
        return UNCHANGED
    if survey.rated_at == first and now - first <= scan:
        return VOIDED
    return CHANGED


def change_until(*, survey: SatisfactionSurvey):
    """Until when the link may change the answer (None: unanswered)."""
    first = survey.first_rated_at or survey.rated_at
    return first + dt.timedelta(days=CHANGE_DAYS) if first else None


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
        TicketEvent.objects.create(ticket=survey.ticket, actor=None, created_at=timezone.now(),
                                   kind=TicketEvent.Kind.SATISFACTION_RATED,
                                   data={"rating": rating, "comment": True,
                                         "resolution": survey.resolution_number})
    return survey
