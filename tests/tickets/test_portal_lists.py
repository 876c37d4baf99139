"""Issue 11: My Tickets' search and filters (never matching an internal note), the
customer timeline, current department fields only, staff sent to the desk."""

import pytest
from django.urls import reverse

from tests.factories import TicketFactory
from tickets.models import Message

pytestmark = pytest.mark.django_db


def _numbers(response) -> set[str]:
    return {t.number for t in response.context["page"].object_list}


def test_search_by_subject_number_and_visible_message_text(client, two_orgs):
    audio = TicketFactory.create(requester=two_orgs.maria, subject="One-way audio")
    fax = TicketFactory.create(requester=two_orgs.maria, subject="Fax fails")
    Message.objects.create(ticket=fax, kind=Message.Kind.CUSTOMER, body="the modem beeps")
    Message.objects.create(ticket=audio, kind=Message.Kind.NOTE, body="secret modem note")
    client.force_login(two_orgs.maria)
    url = reverse("tickets:my_tickets")
    assert _numbers(client.get(url, {"q": "one-WAY"})) == {audio.number}
    assert _numbers(client.get(url, {"q": fax.number})) == {fax.number}
    assert _numbers(client.get(url, {"q": "modem"})) == {fax.number}  # not the note
    assert _numbers(client.get(url, {"status": "on_hold"})) == set()
    both = _numbers(client.get(url, {"status": "nonsense", "since": "not-a-date"}))
    assert both == {audio.number, fax.number}  # bad filters are ignored, never a 500


def test_staff_opening_the_customer_site_go_to_the_desk(client, two_orgs):
    client.force_login(two_orgs.agent)
    response = client.get(reverse("tickets:submit"))
    assert response.status_code == 302 and response.url == reverse("admin:index")
