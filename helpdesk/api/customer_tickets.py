"""Customers' tickets: departments with the entitlement decision, create (the wizard's form
and service), list with filters, detail, reply, resolve, attachment downloads. Who sees what:
tickets.selectors / tickets.access (404 for anything else, exactly like a missing ticket)."""

from __future__ import annotations

import json

import django_filters
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, parsers, status
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from credits import selectors as credit_selectors
from entitlements import engine
from entitlements import selectors as entitlement_selectors
from tickets import attachments, customer_selectors, selectors, services
from tickets.downloads import attachment_response
from tickets.forms import ReplyForm, TicketSubmitForm
from tickets.history import ticket_timeline
from tickets.models import Message, Ticket
from tickets.workspace_selectors import is_id

from . import serializers as s
from .common import IDEMPOTENCY_KEY, files_of, form_or_400, idempotency_uuid
from .idempotency import idempotent
from .permissions import IsContact

FIELDS_NOT_AN_OBJECT = _("“fields” must be a JSON object of the department's questions.")
UNRESOLVED = "unresolved"
STATUS_FILTERS = ((UNRESOLVED, _("Not resolved (any status but resolved)")),
                  *Ticket.Status.choices)
# Writes that carry files: multipart/form-data only (one body schema, files included).
PARSERS = [parsers.MultiPartParser]


def decision_data(decision: engine.Decision) -> dict:
    return {"allowed": decision.allowed, "uses_credits": decision.uses_credits,
            "balance_minutes": decision.balance_minutes, "best_effort": decision.best_effort,
            "pending_items": list(decision.pending_items),
            "reasons": [{"code": r.code, "message": str(r.message), "item": r.item or ""}
                        for r in decision.reasons],
            "actions": [{"code": a.code, "label": str(a.label), "url": a.url or ""}
                        for a in decision.actions]}


def fields_data(*, contact, department) -> list[dict]:
    """The department's questions as the wizard's form asks them (choices included)."""
    form = TicketSubmitForm(contact=contact, department=department)
    found = []
    for field in form.department_fields:
        form_field = form.fields[f"field_{field.key}"]
        choices = getattr(form_field, "choices", None)
        found.append({
            "key": field.key, "kind": field.kind, "label": str(form_field.label),
            "help_text": str(form_field.help_text or ""), "required": form_field.required,
            "choices": None if choices is None else [
                {"value": str(value), "label": str(label)} for value, label in choices
                if str(value) != ""]})
    return found


def department_data(*, contact, department, decision) -> dict:
    return {"code": department.code, "name": str(department.name),
            "product": department.product.code,
            "description": str(getattr(department, "description", "") or ""),
            "decision": decision_data(decision),
            "fields": fields_data(contact=contact, department=department)}


ITEM_PARAMETERS = [
    OpenApiParameter("deployment", OpenApiTypes.STR, description="A deployment's code"),
    OpenApiParameter("serial", OpenApiTypes.STR, description="A hardware serial number"),
    OpenApiParameter("module", OpenApiTypes.INT, description="A module licence's id"),
]


class DepartmentListView(APIView):
    """Every active department with the entitlement decision for me (optionally for one
    deployment, hardware serial or module licence of mine), with its questions."""

    permission_classes = [*APIView.permission_classes, IsContact]

    def _items(self, request) -> dict:
        contact, params, items = request.user, request.query_params, {}
        if params.get("deployment"):
            items["deployment"] = entitlement_selectors.deployment_for_contact(
                contact=contact, code=params["deployment"])
        if params.get("serial"):
            items["hardware_item"] = entitlement_selectors.hardware_for_contact_by_serial(
                contact=contact, serial_number=params["serial"])
        if params.get("module"):  # not an id of ours: 404, as for another's licence
            module = params["module"]
            items["module_licence"] = entitlement_selectors.module_licence_for_contact(
                contact=contact, pk=int(module)) if is_id(module) else None
        if any(item is None for item in items.values()):
            raise Http404
        return items

    @extend_schema(parameters=ITEM_PARAMETERS, responses=s.DepartmentSerializer(many=True))
    def get(self, request):
        contact, items = request.user, self._items(request)
        found = []
        for group in customer_selectors.department_catalogue(contact=contact):
            for choice in group.departments:
                decision = (engine.evaluate(contact=contact, department=choice.department,
                                            **items) if items else choice.decision)
                found.append(department_data(contact=contact, department=choice.department,
                                             decision=decision))
        return Response(s.DepartmentSerializer(found, many=True).data)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=STATUS_FILTERS, method="filter_status")
    q = django_filters.CharFilter(method="filter_q", max_length=200,
                                  label=_("Text in the subject or the number"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at",
                                                      lookup_expr="lt")
    scope = django_filters.ChoiceFilter(
        choices=(("mine", _("Mine")), ("all", _("My organization's (admins)"))),
        method="filter_scope")

    class Meta:
        model = Ticket
        fields = ["status", "q", "created_after", "created_before", "scope"]

    def filter_status(self, queryset, name, value):
        if value == UNRESOLVED:
            return queryset.filter(status__in=Ticket.OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(subject__icontains=value) | Q(number__iexact=value)) \
            if value else queryset

    def filter_scope(self, queryset, name, value):
        return queryset  # read by TicketListView.get_queryset (the site's rule)


class TicketListView(generics.ListCreateAPIView):
    """My tickets (organization admins: `scope=all`, the organization's; the default for
    them, as on the site); POST opens a ticket with the submit wizard's rules."""

    permission_classes = [*generics.ListCreateAPIView.permission_classes, IsContact]
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "last_activity_at"]
    parser_classes = PARSERS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        user = self.request.user
        scope = self.request.query_params.get("scope", "all" if user.is_org_admin else "mine")
        tickets = (selectors.tickets_visible_to(user=user) if user.is_org_admin
                   and scope == "all" else selectors.tickets_of(user=user))
        return tickets.select_related("department", "requester")

    def get_serializer_class(self):
        return s.TicketCreateSerializer if self.request.method == "POST" else \
            s.TicketSerializer

    @extend_schema(request=s.TicketCreateSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: s.TicketDetailSerializer, 200: s.TicketDetailSerializer})
    def post(self, request):
        contact = request.user
        body = s.TicketCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        department = customer_selectors.department_get_for_submit(
            code=body.validated_data["department"])
        decision = engine.evaluate(contact=contact, department=department)
        if not decision.allowed:
            raise exceptions.ValidationError(
                {"department": [str(r.message) for r in decision.reasons]})
        form = TicketSubmitForm(self._form_data(request, body.validated_data),
                                files_of(request), contact=contact, department=department)
        form_or_400(form, rename={"submission_key": "non_field_errors",
                                  **{f"field_{f.key}": "fields"
                                     for f in form.department_fields}})
        key = form.cleaned_data["submission_key"]
        replay = Ticket.objects.filter(submission_key=key, requester=contact).exists()
        ticket = services.ticket_create(requester=contact, department=department,
                                        source=Message.Source.API, **form.service_kwargs())
        return Response(ticket_detail_data(ticket, request),
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    def _form_data(self, request, data: dict) -> dict:
        fields = data.get("fields") or {}
        if isinstance(fields, str):
            try:
                fields = json.loads(fields)
            except ValueError:
                fields = None
        if not isinstance(fields, dict):
            raise exceptions.ValidationError({"fields": [FIELDS_NOT_AN_OBJECT]})
        key = idempotency_uuid(request, scope="ticket")
        return {"subject": data["subject"], "message": data["message"],
                "submission_key": str(key) if key else "",
                **{f"field_{name}": str(value) for name, value in fields.items()}}


def ticket_detail_data(ticket: Ticket, request) -> dict:
    data = s.TicketSerializer(ticket).data
    data["field_values"] = s.FieldValueSerializer(
        ticket.field_values.select_related("field"), many=True).data
    data["minutes_consumed"] = credit_selectors.ticket_minutes_consumed(ticket_id=ticket.pk)
    data["messages"] = s.MessageSerializer(
        selectors.ticket_messages_for_contact(ticket=ticket), many=True,
        context={"ticket_number": ticket.number}).data
    data["history"] = s.EventSerializer(ticket_timeline(
        events=customer_selectors.ticket_events_for_contact(ticket=ticket)), many=True).data
    return data


class TicketDetailView(APIView):
    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(responses=s.TicketDetailSerializer)
    def get(self, request, number: str):
        ticket = selectors.ticket_get_for_contact(user=request.user, number=number)
        return Response(ticket_detail_data(ticket, request))


class TicketReplyView(APIView):
    """A reply with attachments; a reply to a resolved ticket reopens it."""

    permission_classes = [*APIView.permission_classes, IsContact]
    parser_classes = PARSERS

    @extend_schema(request=s.ReplySerializer, responses={201: s.MessageSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, number: str):
        ticket = selectors.ticket_get_for_contact(user=request.user, number=number,
                                                   write=True)
        body = s.ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = ReplyForm({"message": body.validated_data["body"]}, files_of(request),
                         existing_bytes=lambda: attachments.ticket_attachment_bytes(ticket=ticket))
        data = form_or_400(form, rename={"message": "body"})
        message = services.ticket_reply_create(
            ticket=ticket, author=request.user, body=data["message"],
            files=data["attachments"], source=Message.Source.API)
        return Response(s.MessageSerializer(message, context={"ticket_number": ticket.number}
                                            ).data, status=status.HTTP_201_CREATED)


class TicketResolveView(APIView):
    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(request=None, responses=s.TicketSerializer)
    def post(self, request, number: str):
        ticket = selectors.ticket_get_for_contact(user=request.user, number=number,
                                                   write=True)
        ticket = services.ticket_resolve(ticket=ticket, actor=request.user)
        return Response(s.TicketSerializer(ticket).data)


class AttachmentDownloadView(APIView):
    """The file itself (or a redirect to a short-lived object-store URL)."""

    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              302: OpenApiResponse(description="A short-lived URL")})
    def get(self, request, number: str, attachment_id: int):
        attachment = selectors.attachment_get_for_contact(
            user=request.user, number=number, attachment_id=attachment_id)
        return attachment_response(attachment)
