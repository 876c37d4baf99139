"""Customers' credits (organization admins, as the Credits page: others get 404) and their
own profile and language."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from credits import selectors as credit_selectors
from credits import services as credit_services
from credits.csv_export import ledger_csv_response
from credits.forms import BundleRequestForm, RedeemCardForm
from credits.models import BUNDLE_MINUTES, LedgerEntry, PurchaseOrder

from . import serializers as s
from .common import IDEMPOTENCY_KEY, form_or_400
from .idempotency import idempotent
from .permissions import IsContact


def account_or_404(request):
    account = credit_selectors.credit_account_for_admin(actor=request.user)
    if account is None:
        raise Http404
    return account


class BalanceSerializer(serializers.Serializer):
    organization = serializers.CharField()
    balance_minutes = serializers.IntegerField()
    low_balance_threshold_minutes = serializers.IntegerField()
    is_overdrawn = serializers.BooleanField()


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "created_at", "kind", "minutes", "balance_after_minutes",
                  "ticket_number", "reason"]


class RedeemSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    code = serializers.CharField(max_length=40)


class BundleSerializer(serializers.Serializer):
    minutes = serializers.ChoiceField(choices=BUNDLE_MINUTES)


class PurchaseOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseOrder
        fields = ["id", "minutes", "status", "requested_at"]


class BalanceView(APIView):
    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(responses=BalanceSerializer)
    def get(self, request):
        account = account_or_404(request)
        return Response(BalanceSerializer({
            "organization": account.organization.name,
            "balance_minutes": account.balance_minutes,
            "low_balance_threshold_minutes": account.low_balance_threshold_minutes,
            "is_overdrawn": account.is_overdrawn}).data)


class LedgerView(generics.ListAPIView):
    permission_classes = [*generics.ListAPIView.permission_classes, IsContact]
    serializer_class = LedgerEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return credit_selectors.ledger_entries_for_account(account=account_or_404(self.request))


class LedgerCsvView(APIView):
    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request):
        return ledger_csv_response(account=account_or_404(request))


class RedeemCardView(APIView):
    """Redeem a prepaid card: its credits are booked once (the card is the idempotency
    key); too many wrong codes block the card."""

    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(request=RedeemSerializer, responses={201: LedgerEntrySerializer})
    def post(self, request):
        account = account_or_404(request)
        RedeemSerializer(data=request.data).is_valid(raise_exception=True)
        data = form_or_400(RedeemCardForm(request.data))
        entry = credit_services.prepaid_card_redeem(
            organization_id=account.organization_id, number=data["number"],
            code=data["code"], actor=request.user)
        return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class BundleRequestView(APIView):
    """Ask for a bundle: a purchase order, booked when staff (or the billing system) record
    its payment."""

    permission_classes = [*APIView.permission_classes, IsContact]

    @extend_schema(request=BundleSerializer, responses={201: PurchaseOrderSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request):
        account = account_or_404(request)
        BundleSerializer(data=request.data).is_valid(raise_exception=True)
        data = form_or_400(BundleRequestForm(request.data))
        order = credit_services.purchase_order_request(
            organization_id=account.organization_id, minutes=data["minutes"],
            actor=request.user)
        return Response(PurchaseOrderSerializer(order).data, status=status.HTTP_201_CREATED)


class ProfileView(APIView):
    @extend_schema(responses=s.ProfileSerializer)
    def get(self, request):
        return Response(s.ProfileSerializer(request.user).data)


class LanguageView(APIView):
    @extend_schema(request=s.LanguageSerializer, responses=s.ProfileSerializer)
    def post(self, request):
        body = s.LanguageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = account_services.contact_language_set(user=request.user,
                                                     language=body.validated_data["language"])
        return Response(s.ProfileSerializer(user).data)
