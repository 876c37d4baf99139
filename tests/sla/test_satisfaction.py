"""How did we do?: asked on each resolution (email and ticket page), signed one-click links
answered without login, single use, an optional comment; never to automatic senders."""

import email
import re
from email import policy

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import TicketFactory, UserFactory
from tickets import satisfaction, services
from tickets.models import SatisfactionSurvey, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(two_orgs, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Audio")
    services.ticket_assign(ticket=ticket, actor=two_orgs.agent, assignee=two_orgs.agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    return ticket


def links_in_mail() -> dict[str, str]:
    msg = email.message_from_bytes(mail.outbox[-1].message().as_bytes(),
                                   policy=policy.default)
    text = next(p.get_content() for p in msg.walk() if p.get_content_type() == "text/plain")
    return {k.lower(): v for k, v in re.findall(r"^(Good|Bad): (\S+)$", text, re.M)}


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_resolution_email_and_page_ask_with_signed_links(client, resolved, two_orgs):
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    assert survey.resolution_number == 1 and survey.agent == two_orgs.agent
    links = links_in_mail()
    assert set(links) == {"good", "bad"}
    client.force_login(two_orgs.maria)
    html = client.get(reverse("tickets:detail", args=[resolved.number])).content.decode()
    assert "How did we do?" in html
    page_link = re.search(r'href="(/satisfaction/[^"]+)" data-rate="good"', html).group(1)
    assert client.get(page_link).status_code == 200  # no login needed, but it works logged in
    assert SatisfactionSurvey.objects.get(ticket=resolved).rating == "good"


@pytest.fixture
def later(monkeypatch):
    """Move the clock on: later(seconds=…) from the real now."""
    import datetime as dt

    from django.utils import timezone

    real = timezone.now()

    def move(**delta):
        moved = real + dt.timedelta(**delta)
        monkeypatch.setattr(timezone, "now", lambda: moved)
        return moved
    return move


def rated(ticket):
    return SatisfactionSurvey.objects.get(ticket=ticket).rating


def test_one_click_without_login_is_recorded_once(client, resolved):
    links = links_in_mail()
    response = client.get(path_of(links["good"]))
    assert response.status_code == 200 and 'data-rating="good"' in response.content.decode()
    assert 'data-change' in response.content.decode()  # the other answer is offered
    client.get(path_of(links["good"]))  # the same link again changes nothing
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    assert survey.rating == "good" and survey.rated_at is not None
    assert resolved.events.filter(kind=TicketEvent.Kind.SATISFACTION_RATED).count() == 1


def test_a_scanner_opening_both_links_counts_for_nothing(client, resolved, later):
    links = links_in_mail()
    later(seconds=1)
    client.get(path_of(links["good"]))
    later(seconds=2)
    response = client.get(path_of(links["bad"]))  # both answers within seconds: void
    assert "neither was counted" in response.content.decode()
    assert 'data-rate="good"' in response.content.decode()  # asked again
    assert rated(resolved) == "" and SatisfactionSurvey.objects.get(
        ticket=resolved).scanner_voided_at is not None
    later(seconds=4)
    client.get(path_of(links["good"]))  # the rest of the burst is ignored too
    assert rated(resolved) == ""
    later(minutes=30)
    response = client.get(path_of(links["bad"]))  # the customer, later
    assert 'data-rating="bad"' in response.content.decode() and rated(resolved) == "bad"
    voided = resolved.events.filter(kind=TicketEvent.Kind.SATISFACTION_RATED,
                                    data__voided__isnull=False)
    assert [e.data["voided"] for e in voided] == [["good", "bad"]]


def test_the_customer_may_change_the_answer_for_a_week(client, resolved, later):
    links = links_in_mail()
    later(seconds=1)
    client.get(path_of(links["good"]))  # a scanner that opens the first link only
    later(hours=3)
    client.get(path_of(links["bad"]))  # the customer's answer replaces it
    assert rated(resolved) == "bad"
    assert client.post(path_of(links["bad"]), {"comment": "Slow"}).status_code == 200
    later(days=8)
    again = client.get(path_of(links["good"]))  # past the week: final
    assert "already rated" in again.content.decode() and rated(resolved) == "bad"
    assert [e.data.get("changed_from") for e in resolved.events.filter(
        kind=TicketEvent.Kind.SATISFACTION_RATED)] == [None, "good", None]


@pytest.mark.parametrize("click", ["good", "bad"])
def test_past_the_week_no_change_link_and_no_comment_form(client, resolved, later, click):
    """After the change window, the same answer again or the other one: the page neither
    offers a change to a past date nor a comment form the service would refuse."""
    links = links_in_mail()
    later(seconds=1)
    client.get(path_of(links["good"]))
    later(days=8)
    page = client.get(path_of(links[click])).content.decode()
    assert "already rated" in page and rated(resolved) == "good"
    assert "data-change" not in page and 'name="comment"' not in page


def test_a_comment_may_follow_once(client, resolved):
    url = path_of(links_in_mail()["bad"])
    client.get(url)
    assert client.post(url, {"comment": "Took two days"}).status_code == 200
    assert client.post(url, {"comment": "More"}).status_code == 400
    assert SatisfactionSurvey.objects.get(ticket=resolved).comment == "Took two days"


def test_a_comment_needs_the_rating_first(client, resolved):
    response = client.post(path_of(links_in_mail()["bad"]), {"comment": "Hmm"})
    assert response.status_code == 400 and "Hmm" in response.content.decode()
    assert SatisfactionSurvey.objects.get(ticket=resolved).comment == ""


@pytest.mark.parametrize("forge", ["set-password", "abc:def", "altered", "other-salt",
                                   "other-survey", "bad-rating"])
def test_forged_or_altered_links_are_refused(client, resolved, forge):
    from django.core import signing

    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    good = satisfaction.token_for(survey=survey, rating="good")
    token = {
        "altered": signing.dumps({"s": survey.pk, "r": "bad"}, salt="x").split(":", 1)[0]
        + ":" + good.split(":", 1)[1],
        "other-salt": signing.dumps({"s": survey.pk, "r": "good"}, salt="other"),
        "other-survey": signing.dumps({"s": survey.pk + 99, "r": "good"},
                                      salt=satisfaction.SALT),
        "bad-rating": signing.dumps({"s": survey.pk, "r": "meh"}, salt=satisfaction.SALT),
    }.get(forge, forge)
    response = client.get(reverse("tickets:satisfaction", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert SatisfactionSurvey.objects.get(ticket=resolved).rating == ""


def test_expired_links_are_refused(client, resolved, monkeypatch):
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    token = satisfaction.token_for(survey=survey, rating="good")
    monkeypatch.setattr(satisfaction, "SURVEY_LINK_MAX_AGE_DAYS", -1)
    assert client.get(reverse("tickets:satisfaction", args=[token])).status_code == 400


def test_reopened_and_resolved_again_asks_again(client, resolved, two_orgs):
    client.get(path_of(links_in_mail()["good"]))
    services.ticket_reply_create(ticket=resolved, author=two_orgs.maria, body="It is back")
    services.ticket_resolve(ticket=resolved, actor=two_orgs.agent)
    surveys = list(SatisfactionSurvey.objects.filter(ticket=resolved))
    assert [(s.resolution_number, s.rating) for s in surveys] == [(1, "good"), (2, "")]
    client.force_login(two_orgs.maria)
    html = client.get(reverse("tickets:detail", args=[resolved.number])).content.decode()
    assert 'data-rate="good"' in html


def test_automatic_senders_are_never_asked(two_orgs, django_capture_on_commit_callbacks):
    robot = UserFactory(email="no-reply@acme.example", organization=two_orgs.acme)
    ticket = TicketFactory.create(requester=robot)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    assert not SatisfactionSurvey.objects.filter(ticket=ticket).exists()
    assert "How did we do?" not in mail.outbox[-1].body
    assert satisfaction.is_automatic_sender("MAILER-DAEMON@x.example")
    assert not satisfaction.is_automatic_sender("maria@acme.example")
