"""More of the agents' desk through the API: merge a ticket into another of the same
organization (tickets.desk_services.ticket_merge, audited on both tickets), the move
preview (the department's record fields with the organization's records, the entitlement
decision and the refund, as the desk's move form shows them: tickets.desk_selectors) and
the queue overview (the desk's counts: tickets.desk_selectors and the overview kept in the
cache by beat)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from mailgateway import selectors as mail_selectors
from tickets import desk_selectors as ds
from tickets import desk_services
from tickets import workspace_selectors as ws

from .agent import AgentTicketSerializer, AgentView, agent_ticket_data, ticket_for_agent
from .moves import (
    RECORD_PARAMETERS,
    MovePreviewSerializer,
    MoveQuerySerializer,
    department_by_code,
    move_choice,
    move_preview_data,
)

# --- merge ---------------------------------------------------------------------------------

class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=40, help_text=(
        "The surviving ticket's number (same organization); this ticket is resolved and "
        "points to it"))


class MergeView(AgentView):
    """Merge this ticket into `into`: its messages, attachments, time and participants
    move to the survivor, which is returned. The same rules as the desk."""

    agent_perm = "tickets.change_ticket"

    @extend_schema(request=MergeSerializer, responses=AgentTicketSerializer)
    def post(self, request, number: str):
        ticket = ticket_for_agent(number)
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = desk_services.ticket_by_number_for_merge(ticket=ticket,
                                                          number=body.validated_data["into"])
        survivor = desk_services.ticket_merge(source=ticket, target=target,
                                              actor=request.user)
        return Response(agent_ticket_data(ticket_for_agent(survivor.number)))


# --- moving to another department ----------------------------------------------------------

class MovePreviewView(AgentView):
    """What a move would do, before the PATCH that makes it."""

    agent_perm = "tickets.change_ticket"

    @extend_schema(parameters=[OpenApiParameter("department", OpenApiTypes.STR,
                                                required=True,
                                                description="The department's code"),
                               *RECORD_PARAMETERS],
                   responses=MovePreviewSerializer)
    def get(self, request, number: str):
        ticket = ticket_for_agent(number)
        query = MoveQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        department = department_by_code(data.pop("department"))
        choice = move_choice(ticket=ticket, department=department, chosen=data)
        return Response(move_preview_data(ticket=ticket, department=department, choice=choice))


# --- the overview --------------------------------------------------------------------------

class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    capped = serializers.BooleanField(help_text=f"More than {ds.COUNT_CAP}")


class ViewCountsSerializer(serializers.Serializer):
    mine = CountSerializer()
    unassigned = CountSerializer()
    waiting = CountSerializer()
    overdrawn = CountSerializer()
    quarantine = CountSerializer(allow_null=True,
                                 help_text="null without the permission to work it")


class DepartmentCountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    product = serializers.CharField()
    new = serializers.IntegerField()
    open = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    waiting_customer = serializers.IntegerField()
    oldest_waiting = serializers.CharField(allow_null=True,
                                           help_text="The number of the ticket waiting "
                                                     "for us the longest")
    oldest_waiting_since = serializers.DateTimeField(allow_null=True)


class OverviewSerializer(serializers.Serializer):
    views = ViewCountsSerializer()
    departments = DepartmentCountSerializer(many=True)
    departments_as_of = serializers.DateTimeField(
        help_text="When the per-department counts were computed (kept up to 2 minutes)")


def _count(value: tuple[int, bool]) -> dict:
    return {"count": value[0], "capped": value[1]}


class OverviewView(AgentView):
    """The desk's counts: its views (mine, unassigned, waiting on the customer, overdrawn
    organizations, the quarantine) and every department's open work."""

    agent_perm = "tickets.view_ticket"

    @extend_schema(responses=OverviewSerializer)
    def get(self, request):
        views = {name: _count(value)
                 for name, value in ds.view_counts(user=request.user).items()}
        views["quarantine"] = (
            _count(ds.capped_count(mail_selectors.quarantined_messages()))
            if request.user.has_perm("mailgateway.change_inboundmessage") else None)
        rows, as_of = ws.queue_overview_cached()
        departments = [{
            "id": r["department"].pk, "code": r["department"].code,
            "name": str(r["department"].name), "product": r["department"].product.code,
            "new": r["new"], "open": r["open"], "unassigned": r["unassigned"],
            "waiting_customer": r["waiting_customer"], "oldest_waiting": r["oldest_number"],
            "oldest_waiting_since": r["oldest_since"]} for r in rows]
        return Response(OverviewSerializer({"views": views, "departments": departments,
                                            "departments_as_of": as_of}).data)
