"""REST API for a contact's tickets: list, detail and reply, under the site's rule
(tickets.access: the requester, participants and the organization's admins)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from . import exceptions as exc
from . import selectors, services
from .models import Attachment, Message, Ticket


class TicketSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")

    class Meta:
        model = Ticket
        fields = ["number", "subject", "status", "department", "created_at", "last_activity_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size_bytes"]


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["kind", "author", "body", "created_at", "attachments"]

    def get_author(self, message) -> str:
        return message.author.get_full_name() if message.author else message.author_email


class TicketDetailSerializer(TicketSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]

    def get_messages(self, ticket) -> list[dict]:
        return MessageSerializer(selectors.ticket_messages_for_contact(ticket=ticket),
                                 many=True).data


@extend_schema(exclude=True)  # deprecated alias: /api/v1/ documents its successor
class TicketListView(generics.ListAPIView):
    pagination_class = PageNumberPagination  # as before v1
    """`?status=open` (default: all) or `?status=resolved`."""

    serializer_class = TicketSerializer

    def get_queryset(self):
        tickets = selectors.tickets_visible_to(user=self.request.user).select_related(
            "department")
        status = self.request.query_params.get("status")
        if status == "open":
            tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
        elif status == "resolved":
            tickets = tickets.filter(status=Ticket.Status.RESOLVED)
        return tickets.order_by("-last_activity_at", "-id")


@extend_schema(exclude=True)  # deprecated alias: /api/v1/ documents its successor
class TicketDetailView(generics.RetrieveAPIView):
    serializer_class = TicketDetailSerializer

    def get_object(self):
        return selectors.ticket_get_for_contact(user=self.request.user,
                                                number=self.kwargs["number"])


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=100_000, trim_whitespace=True)


@extend_schema(exclude=True)  # deprecated alias: /api/v1/ documents its successor
class TicketReplyView(generics.GenericAPIView):
    """POST {"body": "…"}: a reply to the ticket (reopens it when resolved). 404 to whoever
    may not write to it, exactly as for a missing ticket."""

    serializer_class = ReplySerializer

    def post(self, request, number: str):
        ticket = selectors.ticket_get_for_contact(user=request.user, number=number, write=True)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            message = services.ticket_reply_create(
                ticket=ticket, author=request.user, body=serializer.validated_data["body"],
                source=Message.Source.API)
        except exc.TicketsError as error:
            raise serializers.ValidationError({"body": error.messages}) from error
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
