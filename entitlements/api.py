"""Read-only REST API of the entitlement decisions (what the submit wizard shows).

Route (registered by helpdesk/api_urls.py):
    api/entitlements/departments/   every active department with the contact's decision
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .engine import evaluate_departments


def decision_data(department, decision) -> dict:
    return {
        "department": department.code, "name": department.name,
        "product": department.product.code, "allowed": decision.allowed,
        "uses_credits": decision.uses_credits, "balance_minutes": decision.balance_minutes,
        "best_effort": decision.best_effort, "pending_items": list(decision.pending_items),
        "reasons": [{"code": r.code, "message": r.message, "item": r.item}
                    for r in decision.reasons],
        "actions": [{"code": a.code, "label": a.label, "url": a.url, "method": a.method}
                    for a in decision.actions],
    }


class _ReasonSchema(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    item = serializers.CharField(allow_null=True)


class _ActionSchema(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField()
    method = serializers.ChoiceField(choices=["get", "post"], help_text=(
        "post: the fix changes something (send a POST with the session's CSRF token)"))


class DecisionSchema(serializers.Serializer):
    """The schema of decision_data (documentation only)."""

    department = serializers.CharField()
    name = serializers.CharField()
    product = serializers.CharField()
    allowed = serializers.BooleanField()
    uses_credits = serializers.BooleanField()
    balance_minutes = serializers.IntegerField(allow_null=True)
    best_effort = serializers.BooleanField()
    pending_items = serializers.ListField(child=serializers.CharField())
    reasons = _ReasonSchema(many=True)
    actions = _ActionSchema(many=True)


@extend_schema(exclude=True)  # deprecated alias: /api/v1/ documents its successor
class DepartmentDecisionsView(APIView):
    @extend_schema(responses=DecisionSchema(many=True))
    def get(self, request):
        return Response([decision_data(d, decision)
                         for d, decision in evaluate_departments(contact=request.user)])
