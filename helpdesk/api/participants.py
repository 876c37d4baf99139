"""A ticket's participants (the colleagues who follow it besides its requester) through the
API, for the customers and for the agents: who may read the ticket lists them; who may
change them is tickets.access.ticket_may_change_participants (the requester; an agent with
tickets.change_ticket), the same rule as the ticket page and the desk. Changes go through
tickets.participant_services (one transaction, an audit event)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import access, participant_services, selectors
from tickets import exceptions as exc
from tickets.models import TicketParticipant

from .agent import AgentView, ticket_for_agent
from .permissions import IsContact


class ParticipantSerializer(serializers.ModelSerializer):
    contact_id = serializers.IntegerField(source="contact.pk")
    email = serializers.EmailField(source="contact.email")
    full_name = serializers.CharField(source="contact.full_name")

    class Meta:
        model = TicketParticipant
        fields = ["contact_id", "email", "full_name", "source", "created_at"]


class ParticipantAddSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="An active contact of the ticket's organization")


class _OnTicket:
    """The ticket of the URL, for the customers' views (`source` API) or (AGENT) the
    agents'."""

    source = TicketParticipant.Source.API

    def ticket(self, *, write: bool = False):
        number = self.kwargs["number"]
        if self.source == TicketParticipant.Source.AGENT:
            return ticket_for_agent(number)
        return selectors.ticket_get_for_contact(user=self.request.user, number=number,
                                                write=write)

    def changeable_ticket(self):
        ticket = self.ticket(write=True)
        if not access.ticket_may_change_participants(user=self.request.user, ticket=ticket):
            raise exceptions.PermissionDenied(exc.PARTICIPANT_ACTOR_REFUSED)
        return ticket


class _Participants(_OnTicket):
    serializer_class = ParticipantSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketParticipant.objects.none()
        return selectors.participants_of(ticket=self.ticket())

    @extend_schema(request=ParticipantAddSerializer,
                   responses={201: ParticipantSerializer, 200: ParticipantSerializer})
    def post(self, request, number: str):
        """201: added; 200: the contact already followed the ticket (nothing changed)."""
        ticket = self.changeable_ticket()
        body = ParticipantAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = selectors.organization_contact(ticket=ticket,
                                                 email=body.validated_data["email"])
        if contact is None:
            raise exceptions.ValidationError({"email": [exc.PARTICIPANT_OTHER_ORGANIZATION]})
        participant, created = participant_services.ticket_participant_add(
            ticket=ticket, contact=contact, actor=request.user, source=self.source)
        return Response(ParticipantSerializer(participant).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class _Participant(_OnTicket):
    @extend_schema(responses={204: None})
    def delete(self, request, number: str, contact_id: int):
        ticket = self.changeable_ticket()
        contact = selectors.participant_contacts(ticket=ticket).filter(pk=contact_id).first()
        if contact is None:
            raise Http404
        participant_services.ticket_participant_remove(
            ticket=ticket, contact=contact, actor=request.user, source=self.source)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ParticipantListView(_Participants, generics.ListCreateAPIView):
    """The ticket's participants; POST (its requester) adds a colleague by email."""

    permission_classes = [*generics.ListCreateAPIView.permission_classes, IsContact]


class ParticipantView(_Participant, APIView):
    """DELETE (the ticket's requester): the colleague no longer follows the ticket."""

    permission_classes = [*APIView.permission_classes, IsContact]


class AgentParticipantListView(_Participants, generics.ListCreateAPIView):
    """The ticket's participants; POST adds a contact of its organization by email."""

    permission_classes = AgentView.permission_classes
    source = TicketParticipant.Source.AGENT

    @property
    def agent_perm(self):
        return "tickets.view_ticket" if self.request.method == "GET" \
            else "tickets.change_ticket"


class AgentParticipantView(_Participant, AgentView):
    source = TicketParticipant.Source.AGENT
    agent_perm = "tickets.change_ticket"
