"""What must never happen on the customer site: seeing or touching what one may not,
script running from customer text, half-saved tickets, state changes on GET, POST
without CSRF."""

import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from tests.factories import TicketFactory, upload
from tickets import exceptions as exc
from tickets.forms import ReplyForm, TicketSubmitForm
from tickets.models import Attachment, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def marias_ticket(two_orgs):
    return TicketFactory.create(requester=two_orgs.maria, files=[upload("trace.txt")])


def _ticket_urls(ticket):
    attachment = Attachment.objects.filter(message__ticket=ticket).first()
    return {
        "detail": ("get", reverse("tickets:detail", args=[ticket.number])),
        "submitted": ("get", reverse("tickets:submitted", args=[ticket.number])),
        "attachment": ("get", reverse("tickets:attachment",
                                      args=[ticket.number, attachment.pk])),
        "reply": ("post", reverse("tickets:reply", args=[ticket.number])),
        "resolve": ("post", reverse("tickets:resolve", args=[ticket.number])),
        "api": ("get", reverse("api-ticket-detail", args=[ticket.number])),
    }


@pytest.mark.parametrize("who", ["ana", "agent"])
@pytest.mark.parametrize("name", ["detail", "submitted", "attachment", "reply", "resolve",
                                  "api"])
def test_other_organization_gets_404_on_every_url(client, two_orgs, marias_ticket, who, name):
    client.force_login(getattr(two_orgs, who))
    method, url = _ticket_urls(marias_ticket)[name]
    response = getattr(client, method)(url, {"message": "hijack"} if method == "post" else {})
    assert response.status_code == 404
    marias_ticket.refresh_from_db()
    assert marias_ticket.status == Ticket.Status.NEW
    assert marias_ticket.messages.count() == 1


@pytest.mark.parametrize("name", ["detail", "submitted", "attachment", "reply", "resolve",
                                  "api"])
def test_colleague_who_is_not_org_admin_gets_404(client, two_orgs, marias_ticket, name):
    client.force_login(two_orgs.juan)
    method, url = _ticket_urls(marias_ticket)[name]
    response = getattr(client, method)(url, {"message": "hijack"} if method == "post" else {})
    assert response.status_code == 404
    assert marias_ticket.messages.count() == 1


def test_a_foreign_ticket_answers_like_a_missing_one(client, two_orgs, marias_ticket):
    client.force_login(two_orgs.ana)
    foreign = client.get(reverse("tickets:detail", args=[marias_ticket.number]))
    missing = client.get(reverse("tickets:detail", args=["ZZZ-000-00000"]))
    assert foreign.status_code == missing.status_code == 404

    def normalized(response, number):
        html = response.content.decode().replace(number, "NUMBER")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert normalized(foreign, marias_ticket.number) == normalized(missing, "ZZZ-000-00000")


def test_attachment_of_another_ticket_is_404_even_with_an_allowed_ticket(
        client, two_orgs, marias_ticket):
    anas = TicketFactory.create(requester=two_orgs.ana)
    marias_attachment = Attachment.objects.get(message__ticket=marias_ticket)
    client.force_login(two_orgs.ana)
    url = reverse("tickets:attachment", args=[anas.number, marias_attachment.pk])
    assert client.get(url).status_code == 404


def test_attachment_of_an_internal_note_is_404(client, two_orgs, marias_ticket):
    from tickets import services

    note = services.ticket_reply_create(ticket=marias_ticket, author=two_orgs.agent,
                                        body="note", kind=Message.Kind.NOTE,
                                        files=[upload("internal.txt")])
    client.force_login(two_orgs.maria)
    url = reverse("tickets:attachment", args=[marias_ticket.number,
                                              note.attachments.get().pk])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client, marias_ticket):
    response = client.get(reverse("tickets:detail", args=[marias_ticket.number]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- downloads ---------------------------------------------------------------------------

def test_download_is_an_attachment_with_nosniff_served_from_our_stored_name(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria,
                                  files=[upload("página «1».txt", b"hello")])
    attachment = Attachment.objects.get()
    client.force_login(two_orgs.maria)
    response = client.get(reverse("tickets:attachment", args=[ticket.number, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''p%C3%A1gina%20%C2%AB1%C2%BB.txt" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert "página" not in attachment.file.name and "txt" not in attachment.file.name


def test_download_name_with_quotes_cannot_break_the_header(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria,
                                  files=[upload('a";x=1.txt', b"hello")])
    attachment = Attachment.objects.get()
    client.force_login(two_orgs.maria)
    response = client.get(reverse("tickets:attachment", args=[ticket.number, attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="a\\";x=1.txt"'


# --- no state change on GET, CSRF --------------------------------------------------------

@pytest.mark.parametrize("name", ["reply", "resolve"])
def test_get_on_state_changing_urls_changes_nothing(client, two_orgs, marias_ticket, name):
    client.force_login(two_orgs.maria)
    response = client.get(reverse(f"tickets:{name}", args=[marias_ticket.number]),
                          {"message": "via GET"})
    assert response.status_code == 405
    marias_ticket.refresh_from_db()
    assert marias_ticket.status == Ticket.Status.NEW
    assert marias_ticket.messages.count() == 1
    assert list(marias_ticket.events.values_list("kind", flat=True)) == [
        TicketEvent.Kind.CREATED]


def test_csrf_is_enforced_on_every_post(two_orgs, marias_ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(two_orgs.maria)
    posts = [
        (reverse("tickets:reply", args=[marias_ticket.number]), {"message": "x"}),
        (reverse("tickets:resolve", args=[marias_ticket.number]), {}),
        (reverse("tickets:submit_details", args=["sipstation-general"]),
         {"submission_key": str(uuid.uuid4()), "subject": "s", "message": "m"}),
        (reverse("accounts:confirm_details"), {"full_name": "X"}),
        (reverse("accounts:language"), {"language": "es"}),
        (reverse("accounts:logout"), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    marias_ticket.refresh_from_db()
    assert marias_ticket.status == Ticket.Status.NEW
    assert Ticket.objects.count() == 1 and marias_ticket.messages.count() == 1


def test_csrf_is_enforced_on_login(two_orgs):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"),
                           {"username": two_orgs.maria.email, "password": two_orgs.password})
    assert response.status_code == 403


def test_a_post_with_the_token_works(two_orgs, marias_ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(two_orgs.maria)
    page = client.get(reverse("tickets:detail", args=[marias_ticket.number]))
    token = page.cookies["csrftoken"].value
    response = client.post(reverse("tickets:reply", args=[marias_ticket.number]),
                           {"message": "ok", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- escaping ----------------------------------------------------------------------------

def test_customer_text_is_escaped_everywhere(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject=XSS, body=XSS,
                                  files=[upload("<img src=x onerror=alert(1)>.txt")])
    client.force_login(two_orgs.maria)
    pages = [reverse("tickets:detail", args=[ticket.number]),
             reverse("tickets:my_tickets"), reverse("tickets:submitted", args=[ticket.number])]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url
    detail = client.get(pages[0]).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in detail


def test_typed_script_is_escaped_when_the_form_comes_back(client, two_orgs):
    client.force_login(two_orgs.maria)
    response = client.post(reverse("tickets:submit_details", args=["sipstation-general"]),
                           {"submission_key": str(uuid.uuid4()), "subject": XSS,
                            "message": ""})
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


# --- bad files: form errors, nothing saved -----------------------------------------------

def _post_submit(client, files):
    return client.post(reverse("tickets:submit_details", args=["sipstation-general"]),
                       {"submission_key": str(uuid.uuid4()), "subject": "Files",
                        "message": "See attached", "attachments": files})


@pytest.mark.parametrize("files,expected", [
    ([upload("big.txt", b"x" * 2048)], "larger than"),
    ([upload("tool.exe", b"MZ")], "not accepted"),
    ([upload("page.HTML", b"<html>")], "not accepted"),
    ([upload("empty.txt", b"")], "is empty"),
    ([upload("ok.txt"), upload("empty.log", b"")], "is empty"),
])
def test_bad_files_are_form_errors_and_nothing_is_saved(client, two_orgs, settings, files,
                                                        expected):
    settings.ATTACHMENT_MAX_FILE_BYTES = 1024
    client.force_login(two_orgs.maria)
    response = _post_submit(client, files)
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0
    assert not list((settings.MEDIA_ROOT).rglob("*.*")) if settings.MEDIA_ROOT.exists() else True


def test_files_over_the_per_ticket_limit_are_refused(client, two_orgs, settings):
    settings.ATTACHMENT_MAX_FILE_BYTES = 1024
    settings.ATTACHMENT_MAX_TICKET_BYTES = 1500
    client.force_login(two_orgs.maria)
    response = _post_submit(client, [upload("a.txt", b"x" * 1000), upload("b.txt", b"x" * 1000)])
    assert "may not add up to more than" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_reply_with_bad_file_saves_nothing(client, two_orgs, marias_ticket, settings):
    settings.ATTACHMENT_MAX_FILE_BYTES = 1024
    client.force_login(two_orgs.maria)
    response = client.post(reverse("tickets:reply", args=[marias_ticket.number]),
                           {"message": "see file", "attachments": [upload("x.bat", b"@echo")]})
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    assert marias_ticket.messages.count() == 1 and Attachment.objects.count() == 1


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "..\\..\\boot.ini.txt",
                                  "/abs/path.txt", "C:\\temp\\x.txt", ".."])
def test_filename_with_path_parts_is_a_form_error(two_orgs, name):
    """The form refuses path parts itself (callers other than Django's multipart parser,
    which already strips them, get the same protection)."""
    from tests.factories import department

    form = TicketSubmitForm(
        {"submission_key": str(uuid.uuid4()), "subject": "s", "message": "m"},
        {"attachments": [ContentFile(b"data", name=name)]},
        contact=two_orgs.maria, department=department("sipstation-general"))
    assert not form.is_valid()
    assert str(exc.FILE_NAME_INVALID % {"name": name}) in form.errors["attachments"]
    reply = ReplyForm({"message": "m"}, {"attachments": [ContentFile(b"data", name=name)]})
    assert not reply.is_valid()
    assert Ticket.objects.count() == 0


def test_path_parts_in_an_uploaded_filename_never_reach_storage(client, two_orgs):
    client.force_login(two_orgs.maria)
    _post_submit(client, [upload("../../etc/passwd.txt", b"data")])
    for attachment in Attachment.objects.all():
        assert "/" not in attachment.original_name and ".." not in attachment.original_name
        assert attachment.file.name.startswith("attachments/")
        assert ".." not in attachment.file.name


def test_double_post_creates_one_ticket_with_one_set_of_files(client, two_orgs):
    client.force_login(two_orgs.maria)
    data = {"submission_key": str(uuid.uuid4()), "subject": "Twice", "message": "m"}
    url = reverse("tickets:submit_details", args=["sipstation-general"])
    client.post(url, {**data, "attachments": [upload("a.txt")]})
    client.post(url, {**data, "attachments": [upload("a.txt")]})
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1


def test_someone_elses_submission_key_does_not_reveal_their_ticket(client, two_orgs):
    key = uuid.uuid4()
    TicketFactory.create(requester=two_orgs.maria, submission_key=key)
    client.force_login(two_orgs.ana)
    response = client.post(reverse("tickets:submit_details", args=["sipstation-general"]),
                           {"submission_key": str(key), "subject": "Mine", "message": "m"})
    anas = Ticket.objects.get(requester=two_orgs.ana)
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:submitted", args=[anas.number])
    assert anas.submission_key != key


def test_a_reply_file_past_the_tickets_total_is_refused_with_what_it_already_holds(
        client, two_orgs, marias_ticket, settings):
    from django.db.models import Sum

    held = Attachment.objects.filter(message__ticket=marias_ticket).aggregate(
        total=Sum("size_bytes"))["total"]
    assert held
    settings.ATTACHMENT_MAX_TICKET_BYTES = held + 50
    client.force_login(two_orgs.maria)
    response = client.post(reverse("tickets:reply", args=[marias_ticket.number]),
                           {"message": "one more", "attachments": [upload("y.txt", b"y" * 100)]})
    assert response.status_code == 400
    assert "may not add up to more than" in response.content.decode()
    assert marias_ticket.messages.count() == 1
