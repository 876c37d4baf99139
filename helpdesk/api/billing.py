"""The billing system's endpoints (staff tokens with the billing scope; a browser session
is refused): record a paid purchase order, grant or adjust credits with a reason, create or
renew a contract, register hardware and module licences. Every write takes an
Idempotency-Key; credits are booked by the credits services only (the ledger's own
idempotency key is derived from it)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, Organization
from catalog.models import Product
from credits import services as credit_services
from credits.models import PurchaseOrder
from entitlements import services as entitlement_services
from entitlements.models import (
    ContractPlan,
    Deployment,
    HardwareItem,
    ModuleLicence,
    SupportContract,
)

from .common import IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_REQUIRED_PARAMETER, idempotency_key
from .customer_account import LedgerEntrySerializer, PurchaseOrderSerializer
from .idempotency import idempotent
from .permissions import IsBillingStaff, role_first

IDEMPOTENCY_KEY_REQUIRED = _("This request needs an Idempotency-Key header.")
NOT_FOUND = _("“%(value)s” does not exist.")
SERIAL_TAKEN = _("This serial number is already registered.")


class BillingPermission(permissions.BasePermission):
    """A token with the billing scope (a browser session is refused); the caller's role,
    staff with the view's Django permission, is checked before (IsBillingStaff: 404)."""

    message = _("Only staff tokens with the billing scope may use this endpoint.")

    def has_permission(self, request, view):
        token = request.auth
        return bool(isinstance(token, ApiToken) and ApiToken.Scope.BILLING in token.scopes)


class BillingView(APIView):
    permission_classes = role_first(IsBillingStaff, BillingPermission)
    required_scope = ApiToken.Scope.BILLING


def _required_key(request) -> str:
    key = idempotency_key(request)
    if key is None:
        raise exceptions.ValidationError({"non_field_errors": [IDEMPOTENCY_KEY_REQUIRED]})
    return key


def _get(model, field: str, value, **lookup):
    found = model.objects.filter(**{lookup.get("by", "pk"): value}).first()
    if found is None:
        raise exceptions.ValidationError({field: [NOT_FOUND % {"value": value}]})
    return found


# --- credits -------------------------------------------------------------------------------

class PaidSerializer(serializers.Serializer):
    payment_reference = serializers.CharField(max_length=120, required=False, allow_blank=True)


class PurchaseOrderPaidView(BillingView):
    """The order's bundle is booked once (marking a paid order again changes nothing)."""

    billing_perm = "credits.change_purchaseorder"

    @extend_schema(request=PaidSerializer, responses=PurchaseOrderSerializer,
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, order_id: int):
        if not PurchaseOrder.objects.filter(pk=order_id).exists():
            raise Http404
        body = PaidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = credit_services.purchase_order_mark_paid(
            order_id=order_id, actor=request.user,
            payment_reference=body.validated_data.get("payment_reference", ""))
        return Response(PurchaseOrderSerializer(order).data)


class CreditBookingSerializer(serializers.Serializer):
    organization = serializers.IntegerField(help_text="The organization's id")
    kind = serializers.ChoiceField(choices=[("purchase", "purchase"),
                                            ("adjustment", "adjustment")])
    minutes = serializers.IntegerField(help_text="purchase: 120, 300 or 600; adjustment: "
                                                 "+ to add, − to remove")
    reason = serializers.CharField(max_length=500)


class CreditBookingView(BillingView):
    """Grant (a bought bundle) or adjust credits. The Idempotency-Key (required) is also
    the ledger entry's key: the same key never books twice."""

    billing_perm = "credits.add_ledgerentry"

    @extend_schema(request=CreditBookingSerializer, responses={201: LedgerEntrySerializer},
                   parameters=[IDEMPOTENCY_KEY_REQUIRED_PARAMETER])
    @idempotent
    def post(self, request):
        key = _required_key(request)
        body = CreditBookingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organization = _get(Organization, "organization", data["organization"])
        common = {"organization_id": organization.pk, "minutes": data["minutes"],
                  "reason": data["reason"], "actor": request.user}
        if data["kind"] == "purchase":
            entry = credit_services.credit_purchase(idempotency_key=f"api:{key}", **common)
        else:
            entry = credit_services.credit_adjust(idempotency_key=f"api:{key}", **common)
        return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


# --- contracts and records ----------------------------------------------------------------

class ContractSerializer(serializers.ModelSerializer):
    deployment = serializers.CharField(source="deployment.code")
    plan = serializers.CharField(source="plan.name")

    class Meta:
        model = SupportContract
        fields = ["id", "deployment", "plan", "starts_on", "ends_on", "term_count"]


class ContractCreateSerializer(serializers.Serializer):
    deployment = serializers.CharField(max_length=32, help_text="The deployment's code")
    plan = serializers.IntegerField(help_text="The contract plan's id")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, help_text="Default: one term")


class ContractCreateView(BillingView):
    """A contract for a deployment; its first term's credits are granted once."""

    billing_perm = "entitlements.add_supportcontract"

    @extend_schema(request=ContractCreateSerializer, responses={201: ContractSerializer},
                   parameters=[IDEMPOTENCY_KEY_REQUIRED_PARAMETER])
    @idempotent
    def post(self, request):
        _required_key(request)
        body = ContractCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        contract = entitlement_services.contract_create(
            deployment=_get(Deployment, "deployment", data["deployment"], by="code"),
            plan=_get(ContractPlan, "plan", data["plan"]), starts_on=data["starts_on"],
            ends_on=data.get("ends_on"), actor=request.user)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)


class ContractRenewView(BillingView):
    """One more term (its credits granted once)."""

    billing_perm = "entitlements.change_supportcontract"

    @extend_schema(request=None, responses=ContractSerializer,
                   parameters=[IDEMPOTENCY_KEY_REQUIRED_PARAMETER])
    @idempotent
    def post(self, request, contract_id: int):
        _required_key(request)
        if not SupportContract.objects.filter(pk=contract_id).exists():
            raise Http404
        contract = entitlement_services.contract_renew(contract_id=contract_id,
                                                       actor=request.user)
        return Response(ContractSerializer(contract).data)


class HardwareSerializer(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id")
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all())
    connected_deployment = serializers.SlugRelatedField(
        slug_field="code", queryset=Deployment.objects.all(), required=False, allow_null=True)

    class Meta:
        model = HardwareItem
        fields = ["id", "serial_number", "organization", "product", "model_name",
                  "warranty_ends_on", "connected_deployment"]
        read_only_fields = ["id"]
        validators: list = []
        extra_kwargs = {"serial_number": {"validators": []}}


class HardwareRegisterView(BillingView):
    billing_perm = "entitlements.add_hardwareitem"

    @extend_schema(request=HardwareSerializer, responses={201: HardwareSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request):
        body = HardwareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organization = _get(Organization, "organization", data["organization_id"])
        if HardwareItem.objects.filter(serial_number=data["serial_number"].strip()).exists():
            raise exceptions.ValidationError({"serial_number": [SERIAL_TAKEN]})
        item = entitlement_services.hardware_item_register(
            organization_id=organization.pk, product=data["product"],
            serial_number=data["serial_number"], model_name=data.get("model_name", ""),
            warranty_ends_on=data.get("warranty_ends_on"),
            connected_deployment=data.get("connected_deployment"))
        return Response(HardwareSerializer(item).data, status=status.HTTP_201_CREATED)


class ModuleLicenceSerializer(serializers.ModelSerializer):
    deployment = serializers.SlugRelatedField(slug_field="code",
                                              queryset=Deployment.objects.all())

    class Meta:
        model = ModuleLicence
        fields = ["id", "deployment", "module_name", "purchased_on", "maintenance_ends_on"]
        read_only_fields = ["id", "maintenance_ends_on"]
        validators: list = []


class ModuleLicenceView(BillingView):
    """A module purchase (12 months of maintenance included)."""

    billing_perm = "entitlements.add_modulelicence"

    @extend_schema(request=ModuleLicenceSerializer, responses={201: ModuleLicenceSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request):
        body = ModuleLicenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if ModuleLicence.objects.filter(deployment=data["deployment"],
                                        module_name=data["module_name"]).exists():
            raise exceptions.ValidationError({"module_name": [
                _("This deployment already has this module.")]})
        licence = entitlement_services.module_licence_create(
            deployment=data["deployment"], module_name=data["module_name"],
            purchased_on=data["purchased_on"])
        return Response(ModuleLicenceSerializer(licence).data, status=status.HTTP_201_CREATED)
