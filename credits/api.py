"""Read-only REST API of the Credits page (organization admins only; others get 404).

Routes (registered by helpdesk/api_urls.py):
    api/credits/          balance
    api/credits/ledger/   the ledger, newest first, paginated
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .models import LedgerEntry


def _account(request):
    account = selectors.credit_account_for_admin(actor=request.user)
    if account is None:
        raise Http404
    return account


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "created_at", "kind", "minutes", "balance_after_minutes",
                  "ticket_number", "reason"]


class CreditBalanceSchema(serializers.Serializer):
    """The balance view's answer (documentation only)."""

    organization = serializers.CharField()
    balance_minutes = serializers.IntegerField()
    low_balance_threshold_minutes = serializers.IntegerField()
    is_overdrawn = serializers.BooleanField()


@extend_schema(exclude=True)  # deprecated alias: /api/v1/ documents its successor
class CreditBalanceView(APIView):
    @extend_schema(responses=CreditBalanceSchema)
    def get(self, request):
        account = _account(request)
        return Response({
            "organization": account.organization.name,
            "balance_minutes": account.balance_minutes,
            "low_balance_threshold_minutes": account.low_balance_threshold_minutes,
            "is_overdrawn": account.is_overdrawn,
        })


@extend_schema(exclude=True)  # deprecated alias: /api/v1/ documents its successor
class LedgerListView(generics.ListAPIView):
    pagination_class = PageNumberPagination  # as before v1
    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        return selectors.ledger_entries_for_account(account=_account(self.request))
