"""The rules an attachment must meet (tickets/attachments.py)."""

import pytest
from django.core.files.base import ContentFile

from tests.factories import TicketFactory
from tickets import exceptions as exc
from tickets.attachments import attachment_problems
from tickets.models import Ticket


def refused_html() -> str:
    return str(exc.FILE_TYPE_REFUSED % {"ext": "html"})  # in the active language


@pytest.mark.parametrize("name", [
    "page.html", "page.html.", "page.html..", "page.html. ", "page.html .", "PAGE.HTML.",
    " page.html.",
])
def test_a_refused_extension_is_refused_with_trailing_dots_and_spaces(settings, name):
    # Windows strips trailing dots and spaces when it saves the file: page.html.
    # is page.html on the customer's disk.
    settings.ATTACHMENT_REFUSED_EXTENSIONS = ["html"]
    assert attachment_problems(files=[ContentFile(b"<p>x</p>", name=name)]) == [refused_html()]


@pytest.mark.parametrize("name", ["notes.txt.", "report.html.txt", "html.", "html"])
def test_names_that_only_contain_a_refused_word_are_accepted(settings, name):
    settings.ATTACHMENT_REFUSED_EXTENSIONS = ["html"]
    assert attachment_problems(files=[ContentFile(b"x", name=name)]) == []


@pytest.mark.django_db
def test_a_trailing_dot_does_not_get_a_refused_file_onto_a_ticket(two_orgs):
    with pytest.raises(exc.AttachmentRejected) as caught:
        TicketFactory.create(requester=two_orgs.maria,
                             files=[ContentFile(b"<script>x</script>", name="invoice.html.")])
    assert refused_html() in caught.value.messages
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("name", [
    "page\uff0ehtml",  # FULLWIDTH FULL STOP
    "page\u3002html",  # IDEOGRAPHIC FULL STOP
    "page\u2024html",  # ONE DOT LEADER
    "page.\uff48\uff54\uff4d\uff4c",  # fullwidth letters
    "page.HTML\u200b",  # a zero-width space after the extension
    "page.htm\u200dl",  # a zero-width joiner inside it
    "page.html\u3000",  # an ideographic space at the end
    "page.\u0397TML".replace("\u0397", "H"),  # upper case
    "PAGE.HTML\uff0e",  # a fullwidth dot at the end
])
def test_look_alikes_of_the_dot_and_the_letters_are_normalised(settings, name):
    settings.ATTACHMENT_REFUSED_EXTENSIONS = ["html"]
    assert attachment_problems(files=[ContentFile(b"<p>x</p>", name=name)]) == [refused_html()]


def test_the_refused_list_is_normalised_too(settings):
    settings.ATTACHMENT_REFUSED_EXTENSIONS = [".HTML", "\uff4a\uff53"]  # ".HTML", fullwidth "js"
    assert attachment_problems(files=[ContentFile(b"1", name="a.html")]) == [refused_html()]
    assert attachment_problems(files=[ContentFile(b"1", name="a.JS.")]) == [
        str(exc.FILE_TYPE_REFUSED % {"ext": "js"})]


@pytest.mark.parametrize("name, normalized", [
    ("Informe\uff0ePDF. ", "informe.pdf"),
    ("Stra\u00dfe.txt", "strasse.txt"),  # case-folded, not just lower-cased
    ("a\u00adb.log", "ab.log"),
])
def test_file_name_normalized(name, normalized):
    from tickets.attachments import file_name_normalized

    assert file_name_normalized(name) == normalized
