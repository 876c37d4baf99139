"""Moving a ticket to another department through the agents' API, as the desk's move form
does it (tickets.desk_selectors): the department's record fields (deployment, hardware
item, module licence) with the requester's organization's records to choose from, the
entitlement decision and the refund the move brings. Anything else named is a 400."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers

from catalog.models import Department
from tickets import desk_selectors as ds

MAX_ID = 2**63 - 1  # the largest primary key the databases store; beyond it, a 400
DEPARTMENT_UNKNOWN = _("No department has this code.")
RECORD_NOT_OFFERED = _("Choose one of this department's choices for the organization.")
RECORDS_WITHOUT_MOVE = _("Records are chosen only when the ticket moves to another "
                         "department.")
MOVE_FIELDS = tuple(ds.RECORD_KINDS.values())  # deployment, hardware_item, module_licence


class MoveRecordsSerializer(serializers.Serializer):
    """The records chosen for the new department's fields (ids, from its choices)."""

    deployment = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                          max_value=MAX_ID)
    hardware_item = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                             max_value=MAX_ID)
    module_licence = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                              max_value=MAX_ID)


class MoveQuerySerializer(MoveRecordsSerializer):
    department = serializers.SlugField()


def department_by_code(code: str, *, attr: str = "department") -> Department:
    department = Department.objects.select_related("product").filter(code=code).first()
    if department is None:
        raise exceptions.ValidationError({attr: [DEPARTMENT_UNKNOWN]})
    return department


def move_choice(*, ticket, department: Department, chosen: dict) -> ds.MoveChoice:
    """The records the caller named for the department's fields (tickets.desk_selectors.
    move_choice, as the desk's move form: any of the requester's organization's records,
    not only the choices listed); any other id, or a field the department does not ask,
    is a 400 naming the field."""
    choice = ds.move_choice(ticket=ticket, department=department, data=chosen)
    if choice.rejected:
        raise exceptions.ValidationError({name: [RECORD_NOT_OFFERED]
                                          for name in choice.rejected})
    return choice


def move_data(*, department: Department, choice: ds.MoveChoice, allowed: bool,
              reasons, refund_minutes: int) -> dict:
    return {
        "department": department.code,
        "allowed": allowed, "reasons": [str(r) for r in reasons],
        "uses_credits": department.uses_credits, "refund_minutes": refund_minutes,
        "fields": [{"name": f.name, "label": str(f.label), "required": f.required,
                    "selected": f.selected,
                    "choices": [{"value": pk, "label": label} for pk, label in f.choices]}
                   for f in choice.fields],
    }


def move_preview_data(*, ticket, department: Department, choice: ds.MoveChoice) -> dict:
    preview = ds.move_preview(ticket=ticket, department=department, items=choice.items)
    return move_data(department=department, choice=choice, allowed=preview.allowed,
                     reasons=preview.reasons, refund_minutes=preview.refund_minutes)


class MoveChoiceSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()


class MoveFieldSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=MOVE_FIELDS)
    label = serializers.CharField()
    required = serializers.BooleanField()
    selected = serializers.IntegerField(allow_null=True)
    choices = MoveChoiceSerializer(many=True)


class MovePreviewSerializer(serializers.Serializer):
    """What moving the ticket to `department` would do (the desk shows it before saving):
    the entitlement decision for the requester, the minutes refunded (leaving a paid
    department for a free one) and the department's record fields to fill."""

    department = serializers.CharField()
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    uses_credits = serializers.BooleanField()
    refund_minutes = serializers.IntegerField()
    fields = MoveFieldSerializer(many=True)


class MoveDoneSerializer(MovePreviewSerializer):
    """What the move did: `allowed` is true (a refused move is a 400 that changes
    nothing, with the reasons), `reasons` empty, `refund_minutes` the minutes the move
    refunded in its transaction, and the department's record fields as chosen."""

    refund_minutes = serializers.IntegerField(help_text=(
        "The minutes refunded by this move (leaving a paid department for a free one), as "
        "booked in the credit ledger"))


RECORD_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.INT, description=f"The {label}'s id (one of the "
                     "field's choices)")
    for name, label in (("deployment", "deployment"), ("hardware_item", "hardware item"),
                        ("module_licence", "module licence"))]


