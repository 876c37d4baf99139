import io

import pytest
from django.core.management import call_command

from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_seed_volume_loads_tickets_with_three_messages_each():
    out = io.StringIO()
    call_command("seed_volume", "--tickets", "120", "--batch", "50", "--agents", "3", stdout=out)
    assert Ticket.objects.count() == 120
    assert Message.objects.count() == 360
    assert "Loaded 120 tickets and 360 messages" in out.getvalue()
    waiting = Ticket.objects.filter(waiting_since__isnull=False)
    assert set(waiting.values_list("status", flat=True)) <= {"new", "open"}
    assert not Ticket.objects.filter(status="resolved", resolved_at__isnull=True).exists()
    # Each ticket has its audit trail: created by its requester, resolved when resolved.
    created = TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED)
    assert created.count() == 120
    sample = Ticket.objects.order_by("id").first()
    event = created.get(ticket=sample)
    assert event.actor_id == sample.requester_id and event.created_at == sample.created_at
    assert event.data == {"department": sample.department.code, "source": "seed_volume"}
    resolved = Ticket.objects.filter(status="resolved")
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.RESOLVED).count() == resolved.count()
    # Loading again adds tickets with numbers that are still unique.
    call_command("seed_volume", "--tickets", "30", "--agents", "1", stdout=io.StringIO())
    assert Ticket.objects.values("number").distinct().count() == 150
