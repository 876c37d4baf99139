"""Read-only REST API for a contact's tickets (the same visibility as the site)."""

from rest_framework import generics, serializers

from . import selectors
from .models import Ticket


class TicketSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")

    class Meta:
        model = Ticket
        fields = ["number", "subject", "status", "department", "created_at", "last_activity_at"]


class TicketListView(generics.ListAPIView):
    serializer_class = TicketSerializer

    def get_queryset(self):
        return selectors.tickets_visible_to(user=self.request.user).select_related("department")


class TicketDetailView(generics.RetrieveAPIView):
    serializer_class = TicketSerializer

    def get_object(self):
        return selectors.ticket_get_for_contact(user=self.request.user,
                                                number=self.kwargs["number"])
