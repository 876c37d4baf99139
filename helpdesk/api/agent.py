"""The agents' desk through the API: the queue (the admin queue's filters and search, from
tickets.workspace_selectors), a ticket with internal notes and its whole history, reply or
internal note, time logged and reversed, status / assignee / priority / department. Each
action asks for the same Django permission as the workspace (tickets.admin_views)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Department
from tickets import desk_services, services
from tickets import workspace_selectors as ws
from tickets.admin_forms import TimeEntryForm
from tickets.downloads import attachment_response
from tickets.models import Attachment, Ticket, TimeEntry

from . import serializers as s
from .common import IDEMPOTENCY_KEY, files_of, form_or_400
from .customer_tickets import PARSERS
from .idempotency import idempotent
from .moves import (
    MAX_ID,
    RECORDS_WITHOUT_MOVE,
    MoveDoneSerializer,
    MoveRecordsSerializer,
    department_by_code,
    move_choice,
    move_data,
)
from .permissions import IsAgent, role_first

ASSIGNEE_UNKNOWN = _("No active agent has this id.")
TICKET_RELATED = ("organization", "requester", "department__product", "assignee")


class AgentPermission(permissions.BasePermission):
    """The view's `agent_perm` (e.g. tickets.add_message), as in the workspace."""

    def has_permission(self, request, view):
        perm = getattr(view, "agent_perm", None)
        return perm is None or request.user.has_perm(perm)


class AgentView(APIView):
    permission_classes = role_first(IsAgent, AgentPermission)


def ticket_for_agent(number: str) -> Ticket:
    ticket = (Ticket.objects.select_related(*TICKET_RELATED).filter(number=number).first())
    if ticket is None:
        raise Http404
    return ticket


# --- serializers ---------------------------------------------------------------------------

class QueueTicketSerializer(s.TicketSerializer):
    organization = serializers.CharField(source="organization.name")
    assignee = serializers.EmailField(source="assignee.email", allow_null=True)
    waiting_since = serializers.DateTimeField(allow_null=True)

    class Meta(s.TicketSerializer.Meta):
        fields = [*s.TicketSerializer.Meta.fields, "organization", "assignee",
                  "waiting_since"]


class TimeEntrySerializer(serializers.ModelSerializer):
    agent = serializers.EmailField(source="agent.email")
    reverses = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "agent", "minutes", "note", "reverses", "created_at"]


class AgentTicketSerializer(QueueTicketSerializer):
    messages = s.MessageSerializer(many=True)
    events = s.AgentEventSerializer(many=True)
    field_values = s.FieldValueSerializer(many=True)
    time_entries = TimeEntrySerializer(many=True)

    class Meta(QueueTicketSerializer.Meta):
        fields = [*QueueTicketSerializer.Meta.fields, "field_values", "messages", "events",
                  "time_entries"]


class AgentReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=100_000)
    internal = serializers.BooleanField(default=False,
                                        help_text="An internal note, never sent to the customer")
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class TimeLogSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_TIME_ENTRY_MINUTES)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class TimeReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class AgentTicketUpdatedSerializer(AgentTicketSerializer):
    move = MoveDoneSerializer(allow_null=True, help_text=(
        "When the department changed: the move done (a refused one is a 400), the refund "
        "it booked and the new department's fields as they were chosen"))

    class Meta(AgentTicketSerializer.Meta):
        fields = [*AgentTicketSerializer.Meta.fields, "move"]


class TicketUpdateSerializer(MoveRecordsSerializer):
    """Only the fields sent are changed; `assignee`: an agent's id or null. A move to
    another `department` takes its record fields (`deployment`, `hardware_item`,
    `module_licence`: ids among the choices of GET …/move-preview/) and an internal
    `reason`, never shown to the customer."""

    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    assignee = serializers.IntegerField(allow_null=True, required=False, min_value=1,
                                        max_value=MAX_ID)
    department = serializers.SlugField(required=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


# --- the queue -----------------------------------------------------------------------------

class IdFilter(django_filters.NumberFilter):
    """A primary key: a whole number from 1 to MAX_ID (a decimal, a negative or an overflowing
    number is a 400 naming the parameter, never a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class QueueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    product = IdFilter(method="filter_product")
    department = IdFilter(field_name="department_id")
    assignee = django_filters.CharFilter(method="filter_assignee",
                                         label=_("“me”, “none” or an agent's id"))
    organization = django_filters.CharFilter(method="filter_organization", max_length=200,
                                             label=_("An organization's id or name"))
    credits = django_filters.ChoiceFilter(choices=Department.Credits.choices,
                                          method="filter_credits")
    overdrawn = django_filters.BooleanFilter(method="filter_overdrawn")
    q = django_filters.CharFilter(method="filter_q", max_length=200,
                                  label=_("Ticket number, subject, requester email or "
                                          "organization name."))

    class Meta:
        model = Ticket
        fields = ["status", "product", "department", "assignee", "organization", "credits",
                  "overdrawn", "q"]

    def filter_product(self, queryset, name, value):
        return ws.queue_by_product(queryset, int(value))

    def filter_assignee(self, queryset, name, value):
        if value not in ("me", "none") and not ws.is_id(value):
            raise exceptions.ValidationError({"assignee": [ASSIGNEE_UNKNOWN]})
        return ws.queue_by_assignee(queryset, value, user=self.request.user)

    def filter_organization(self, queryset, name, value):
        return ws.queue_by_organization(queryset, value)

    def filter_credits(self, queryset, name, value):
        return ws.queue_by_credits_rule(queryset, value)

    def filter_overdrawn(self, queryset, name, value):
        return ws.queue_overdrawn(queryset) if value else queryset

    def filter_q(self, queryset, name, value):
        return ws.queue_search(queryset, value)


class QueueView(generics.ListAPIView):
    permission_classes = AgentView.permission_classes
    serializer_class = QueueTicketSerializer
    filterset_class = QueueFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "last_activity_at"]
    agent_perm = "tickets.view_ticket"

    def get_queryset(self):
        return Ticket.objects.select_related(*TICKET_RELATED)


# --- a ticket ------------------------------------------------------------------------------

def agent_ticket_data(ticket: Ticket) -> dict:
    context = {"ticket_number": ticket.number, "download_route": "api-v1-agent-attachment"}
    data = QueueTicketSerializer(ticket).data
    data["field_values"] = s.FieldValueSerializer(ws.ticket_field_values(ticket=ticket),
                                                  many=True).data
    data["messages"] = s.MessageSerializer(ws.ticket_conversation(ticket=ticket), many=True,
                                           context=context).data
    data["events"] = s.AgentEventSerializer(ws.ticket_events(ticket=ticket), many=True).data
    data["time_entries"] = TimeEntrySerializer(ws.ticket_time_entries(ticket=ticket),
                                               many=True).data
    return data


class AgentTicketView(AgentView):
    agent_perm = "tickets.view_ticket"

    def get_permissions(self):
        if self.request.method == "PATCH":
            self.agent_perm = "tickets.change_ticket"
        return super().get_permissions()

    @extend_schema(responses=AgentTicketSerializer)
    def get(self, request, number: str):
        return Response(agent_ticket_data(ticket_for_agent(number)))

    @staticmethod
    def _move_choice(*, ticket, changes: dict, records: dict):
        """A move to another department: its records checked (changes["items"]); else None,
        and naming records is a 400."""
        choice = None
        if "department" in changes:
            changes["department"] = department_by_code(changes["department"])
            if changes["department"].pk != ticket.department_id:
                choice = move_choice(ticket=ticket, department=changes["department"],
                                     chosen=records)
                changes["items"] = choice.items
        if choice is None and any(v is not None for v in records.values()):
            raise exceptions.ValidationError({"non_field_errors": [RECORDS_WITHOUT_MOVE]})
        return choice

    @extend_schema(request=TicketUpdateSerializer, responses=AgentTicketUpdatedSerializer)
    def patch(self, request, number: str):
        ticket = ticket_for_agent(number)
        body = TicketUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = changes.pop("reason", "")
        records = {name: changes.pop(name) for name in ("deployment", "hardware_item",
                                                        "module_licence") if name in changes}
        if "assignee" in changes and changes["assignee"] is not None:
            changes["assignee"] = ws.agents().filter(pk=changes["assignee"]).first()
            if changes["assignee"] is None:
                raise exceptions.ValidationError({"assignee": [ASSIGNEE_UNKNOWN]})
        choice = self._move_choice(ticket=ticket, changes=changes, records=records)
        if "priority" in changes:
            changes["priority"] = int(changes["priority"])
        with transaction.atomic():  # the refund is read in the move's own transaction
            ticket = desk_services.ticket_update(ticket=ticket, actor=request.user,
                                                 reason=reason, **changes)
            refund = ws.move_refund_booked(ticket=ticket) if choice else 0
        data = agent_ticket_data(ticket_for_agent(ticket.number))
        move = move_data(department=changes["department"], choice=choice, allowed=True,
                         reasons=[], refund_minutes=refund) if choice else None
        return Response({**data, "move": move})


class AgentReplyView(AgentView):
    """A reply (emailed to the requester) or, with `internal`, a note never sent."""

    agent_perm = "tickets.add_message"
    parser_classes = PARSERS

    @extend_schema(request=AgentReplySerializer, responses={201: s.MessageSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, number: str):
        ticket = ticket_for_agent(number)
        body = AgentReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        files = files_of(request).getlist("attachments")
        message = services.agent_reply_create(
            ticket=ticket, agent=request.user, body=body.validated_data["body"], files=files,
            internal=body.validated_data["internal"])
        return Response(s.MessageSerializer(message, context={
            "ticket_number": ticket.number, "download_route": "api-v1-agent-attachment"}).data,
            status=status.HTTP_201_CREATED)


class TimeLogView(AgentView):
    """Log time; on a department that uses credits it is debited from the paying
    organization (tickets.services.time_entry_create)."""

    agent_perm = "tickets.add_timeentry"

    @extend_schema(request=TimeLogSerializer, responses={201: TimeEntrySerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, number: str):
        ticket = ticket_for_agent(number)
        TimeLogSerializer(data=request.data).is_valid(raise_exception=True)
        data = form_or_400(TimeEntryForm(request.data))
        entry = services.time_entry_create(ticket=ticket, agent=request.user,
                                           minutes=data["minutes"], note=data["note"])
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TimeReverseView(AgentView):
    agent_perm = "tickets.add_timeentry"

    @extend_schema(request=TimeReverseSerializer, responses={201: TimeEntrySerializer})
    def post(self, request, number: str, entry_id: int):
        ticket = ticket_for_agent(number)
        entry = TimeEntry.objects.filter(pk=entry_id, ticket=ticket).first()
        if entry is None:
            raise Http404
        body = TimeReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = services.time_entry_reverse(entry=entry, actor=request.user,
                                               reason=body.validated_data["reason"])
        return Response(TimeEntrySerializer(reversal).data, status=status.HTTP_201_CREATED)


class AgentAttachmentView(AgentView):
    """Any attachment of the ticket, internal notes' too."""

    agent_perm = "tickets.view_ticket"

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              302: OpenApiResponse(description="A short-lived URL")})
    def get(self, request, number: str, attachment_id: int):
        attachment = Attachment.objects.filter(pk=attachment_id,
                                               message__ticket__number=number).first()
        if attachment is None:
            raise Http404
        return attachment_response(attachment)
