"""Outgoing webhooks through the API: organization admins register their organization's,
staff (webhooks permissions) anyone's or everyone's; deliveries are listed with their
responses. The signing secret is shown in the answer to the registration only."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import selectors, services
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

ORGANIZATION_FOR_STAFF = _("Only staff choose the organization of a webhook.")


class WebhookPermission(permissions.BasePermission):
    message = _("Only organization admins and staff may manage webhooks.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user.is_org_admin or selectors.may_manage_all(user))


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "organization", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]
        extra_kwargs = {"organization": {"required": False, "allow_null": True}}


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Shown once: verify X-Helpdesk-Signature "
                                             "(t=…,v1=HMAC-SHA256 of “t.body”) with it")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "status", "attempts", "response_status", "response_body",
                  "last_error", "created_at", "delivered_at", "payload"]


class WebhookListView(generics.ListCreateAPIView):
    permission_classes = [*generics.ListCreateAPIView.permission_classes, WebhookPermission]
    serializer_class = WebhookSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.endpoints_for(user=self.request.user)

    @extend_schema(request=WebhookSerializer, responses={201: WebhookCreatedSerializer})
    def post(self, request):
        body = WebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, user = body.validated_data, request.user
        organization = data.get("organization")
        if selectors.may_manage_all(user):
            organization_id = organization.pk if organization else None
        elif organization is not None and organization.pk != user.organization_id:
            raise exceptions.ValidationError({"organization": [ORGANIZATION_FOR_STAFF]})
        else:
            organization_id = user.organization_id
        try:
            endpoint = services.webhook_endpoint_create(
                actor=user, organization_id=organization_id, url=data["url"],
                events=data["events"])
        except services.WebhookError as error:
            raise exceptions.ValidationError({"url": error.messages}) from error
        return Response(WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


def _endpoint(request, webhook_id: int) -> WebhookEndpoint:
    endpoint = selectors.endpoints_for(user=request.user).filter(pk=webhook_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


class WebhookDetailView(APIView):
    permission_classes = [*APIView.permission_classes, WebhookPermission]

    @extend_schema(responses=WebhookSerializer)
    def get(self, request, webhook_id: int):
        return Response(WebhookSerializer(_endpoint(request, webhook_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id: int):
        services.webhook_endpoint_delete(endpoint=_endpoint(request, webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListView(generics.ListAPIView):
    permission_classes = [*generics.ListAPIView.permission_classes, WebhookPermission]
    serializer_class = DeliverySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return selectors.deliveries_of(endpoint=_endpoint(self.request,
                                                          self.kwargs["webhook_id"]))
