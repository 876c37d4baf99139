"""The quarantine through the API: list, one message, and its three actions (attach to a
ticket, open a ticket, discard) through the mail gateway's services, with the admin's forms
and the agents' permission to work it (mailgateway.change_inboundmessage)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from mailgateway import selectors as mail_selectors
from mailgateway import services as mail_services
from mailgateway.admin import (
    REQUESTER_NOT_A_CONTACT,
    AttachForm,
    DiscardForm,
    OpenTicketForm,
)
from mailgateway.exceptions import MailGatewayError
from mailgateway.inbound import parse
from mailgateway.models import InboundMessage

from .agent import AgentView
from .common import form_or_400
from .pagination import ReceivedCursorPagination


class InboundSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.number", allow_null=True)

    class Meta:
        model = InboundMessage
        fields = ["id", "status", "reason", "from_address", "subject", "received_at",
                  "auth_result", "is_automatic", "ticket"]


class InboundDetailSerializer(InboundSerializer):
    reply_text = serializers.CharField()

    class Meta(InboundSerializer.Meta):
        fields = [*InboundSerializer.Meta.fields, "reply_text"]


class AttachSerializer(serializers.Serializer):
    ticket_number = serializers.CharField(max_length=40)


class OpenTicketSerializer(serializers.Serializer):
    department = serializers.IntegerField(help_text="The department's id")
    requester_email = serializers.EmailField(required=False, allow_blank=True,
                                             help_text="Default: the sender")


class DiscardSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class QuarantineView(generics.ListAPIView):
    permission_classes = AgentView.permission_classes
    serializer_class = InboundSerializer
    agent_perm = "mailgateway.change_inboundmessage"
    filter_backends: list = []
    pagination_class = ReceivedCursorPagination

    def get_queryset(self):
        return mail_selectors.quarantined_messages().select_related("ticket")


def _quarantined(inbound_id: int) -> InboundMessage:
    inbound = mail_selectors.quarantined_messages().filter(pk=inbound_id).first()
    if inbound is None:
        raise Http404
    return inbound


class QuarantinedView(AgentView):
    agent_perm = "mailgateway.change_inboundmessage"

    @extend_schema(responses=InboundDetailSerializer)
    def get(self, request, inbound_id: int):
        inbound = InboundMessage.objects.filter(pk=_quarantined(inbound_id).pk).first()
        data = InboundSerializer(inbound).data
        data["reply_text"] = mail_services.reply_body(parse.parse_message(bytes(inbound.raw)))
        return Response(data)


class AttachView(AgentView):
    agent_perm = "mailgateway.change_inboundmessage"

    @extend_schema(request=AttachSerializer, responses=InboundSerializer)
    def post(self, request, inbound_id: int):
        _quarantined(inbound_id)
        AttachSerializer(data=request.data).is_valid(raise_exception=True)
        data = form_or_400(AttachForm(request.data))
        inbound = mail_services.inbound_message_attach(inbound_id=inbound_id,
                                                       ticket=data["ticket"],
                                                       actor=request.user)
        return Response(InboundSerializer(inbound).data)


class OpenTicketView(AgentView):
    agent_perm = "mailgateway.change_inboundmessage"

    @extend_schema(request=OpenTicketSerializer, responses=InboundSerializer)
    def post(self, request, inbound_id: int):
        inbound = _quarantined(inbound_id)
        OpenTicketSerializer(data=request.data).is_valid(raise_exception=True)
        data = form_or_400(OpenTicketForm(request.data))
        requester = mail_selectors.quarantine_requester(email=data["requester_email"],
                                                        inbound=inbound)
        if requester is None:
            raise MailGatewayError(REQUESTER_NOT_A_CONTACT)
        inbound = mail_services.inbound_message_open_ticket(
            inbound_id=inbound_id, requester=requester, department=data["department"],
            actor=request.user)
        return Response(InboundSerializer(inbound).data)


class DiscardView(AgentView):
    agent_perm = "mailgateway.change_inboundmessage"

    @extend_schema(request=DiscardSerializer, responses=InboundSerializer)
    def post(self, request, inbound_id: int):
        _quarantined(inbound_id)
        DiscardSerializer(data=request.data).is_valid(raise_exception=True)
        data = form_or_400(DiscardForm(request.data))
        inbound = mail_services.inbound_message_discard(inbound_id=inbound_id,
                                                        actor=request.user,
                                                        reason=data["reason"])
        return Response(InboundSerializer(inbound).data)
