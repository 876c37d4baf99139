"""Typed request and response bodies of API v1 (the OpenAPI schema is generated from them)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from accounts.models import User
from tickets.models import Attachment, Message, Ticket, TicketEvent


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size_bytes", "created_at",
                  "download_url"]

    def get_download_url(self, attachment) -> str:
        """The permission-checked download (the same rule as the ticket)."""
        name = self.context.get("download_route", "api-v1-attachment")
        number = self.context.get("ticket_number") or attachment.message.ticket.number
        return reverse(name, args=[number, attachment.pk])


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "kind", "source", "author", "body", "created_at", "attachments"]

    def get_author(self, message) -> str:
        return message.author.get_full_name() if message.author else message.author_email


class EventSerializer(serializers.Serializer):
    """One line of the ticket's timeline as the customer reads it on the ticket page
    (tickets.history.ticket_timeline): never an internal note, an agent's reason or a time-entry note."""

    kind = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField(source="at")


class AgentEventSerializer(serializers.ModelSerializer):
    """An audit event with its data, for agents (internal reasons included)."""

    actor = serializers.SerializerMethodField()
    data = serializers.DictField(child=serializers.JSONField())

    class Meta:
        model = TicketEvent
        fields = ["kind", "actor", "data", "created_at"]

    def get_actor(self, event) -> str | None:
        return event.actor.get_full_name() if event.actor else None


class FieldValueSerializer(serializers.Serializer):
    key = serializers.CharField(source="field.key")
    label = serializers.CharField(source="field.label")
    value = serializers.CharField()


class TicketSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    requester = serializers.EmailField(source="requester.email")

    class Meta:
        model = Ticket
        fields = ["number", "subject", "status", "priority", "department", "requester",
                  "created_at", "last_activity_at", "resolved_at"]


class TicketDetailSerializer(TicketSerializer):
    messages = MessageSerializer(many=True)
    history = EventSerializer(many=True)
    field_values = FieldValueSerializer(many=True)
    minutes_consumed = serializers.IntegerField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "field_values", "minutes_consumed",
                  "messages", "history"]


# --- requests ------------------------------------------------------------------------------

class TicketCreateSerializer(serializers.Serializer):
    """The wizard's step 2 (multipart/form-data). `fields`: the department's questions by
    key, a JSON-encoded object (record fields take the record's id)."""

    department = serializers.SlugField()
    subject = serializers.CharField(max_length=200)
    message = serializers.CharField()
    fields = serializers.JSONField(required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=100_000)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


# --- entitlement decisions ----------------------------------------------------------------

class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    item = serializers.CharField(allow_blank=True)


class ActionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class DepartmentFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    choices = ChoiceSerializer(many=True, allow_null=True)


class DecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    uses_credits = serializers.BooleanField()
    balance_minutes = serializers.IntegerField(allow_null=True)
    best_effort = serializers.BooleanField()
    pending_items = serializers.ListField(child=serializers.CharField())
    reasons = ReasonSerializer(many=True)
    actions = ActionSerializer(many=True)


class DepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    product = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    decision = DecisionSerializer()
    fields = DepartmentFieldSerializer(many=True)


# --- profile -------------------------------------------------------------------------------

class ProfileSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.name", allow_null=True,
                                         read_only=True)

    class Meta:
        model = User
        fields = ["email", "full_name", "phone", "job_title", "language", "time_zone",
                  "organization", "role", "is_staff"]
        read_only_fields = fields


class LanguageSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=User.Language.choices)

