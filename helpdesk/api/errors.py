"""One error format for every API failure (drf-standardized-errors): `{"type":
"validation_error" | "client_error" | "server_error", "errors": [{"code", "detail",
"attr"}]}`. The apps' own errors (their messages are constants in the user's language)
become 400 validation errors; a missing or foreign object is a 404 either way."""

from __future__ import annotations

from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import exceptions, serializers

from accounts.exceptions import AccountsError
from credits.exceptions import CreditsError
from mailgateway.exceptions import MailGatewayError
from tickets.exceptions import TicketsError

APP_ERRORS = (AccountsError, CreditsError, TicketsError, MailGatewayError)


class ApiExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, APP_ERRORS):
            messages = getattr(exc, "messages", None) or [str(exc)]
            return exceptions.ValidationError({"non_field_errors": messages})
        return super().convert_known_exceptions(exc)


class ConflictError(serializers.Serializer):
    code = serializers.ChoiceField(choices=[("conflict", "conflict")])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ConflictErrorResponse(serializers.Serializer):
    """409: the Idempotency-Key was used for another request, or its first request runs."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ConflictError(many=True)


class ApiAutoSchema(AutoSchema):
    """drf-standardized-errors' schema, plus: 409 on the writes that take an
    Idempotency-Key (helpdesk.api.idempotency), 404 everywhere (an object or a page that is
    not the caller's is a 404, like a missing one)."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code == "409":
            handler = getattr(self.view, self.method.lower(), None)
            return "409" not in responses and getattr(handler, "idempotent", False)
        return super()._should_add_error_response(responses, status_code)

    def _should_add_http404_error_response(self) -> bool:
        return True

    def _get_validation_error_codes_by_field(self, data_fields):
        """Besides the fields' own codes: "invalid" on every field and non_field_errors
        (the rules of the apps' forms and services, helpdesk.api.common.form_or_400)."""
        codes = super()._get_validation_error_codes_by_field(data_fields)
        for name in [*codes, "non_field_errors"]:
            codes[name].add("invalid")
        return codes


NO_NUL_PATTERN = "^[^\\u0000]*$"


def no_nul_in_parameters(result, generator, request, public):
    """drf-spectacular postprocessing hook: a string in the path or the query never holds a
    NUL character (helpdesk.middleware.NulCharacterMiddleware answers 400): say so."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") in ("query", "path") and \
                        schema.get("type") == "string" and "pattern" not in schema \
                        and "enum" not in schema and "format" not in schema:
                    schema["pattern"] = NO_NUL_PATTERN
    return result


# OpenAPI links (for clients and stateful testing): what a created or listed object's
# number or id leads to (an agent's ticket: its changes, move preview, participants, merge). (operation id, status) -> {link name: (operation id, parameters)}
TICKET = {"number": "$response.body#/number"}
LINKS = {
    ("tickets_create", "201"): {
        "GetTicket": ("tickets_retrieve", TICKET),
        "ReplyToTicket": ("tickets_messages_create", TICKET),
        "ResolveTicket": ("tickets_resolve_create", TICKET)},
    ("tickets_retrieve", "200"): {
        "ReplyToTicket": ("tickets_messages_create", TICKET),
        "ResolveTicket": ("tickets_resolve_create", TICKET),
        "Participants": ("tickets_participants_list", TICKET)},
    ("agent_tickets_retrieve", "200"): {
        "ReplyAsAgent": ("agent_tickets_messages_create", TICKET),
        "LogTime": ("agent_tickets_time_create", TICKET),
        "UpdateTicket": ("agent_tickets_partial_update", TICKET),
        "MovePreview": ("agent_tickets_move_preview_retrieve", TICKET),
        "AgentParticipants": ("agent_tickets_participants_list", TICKET),
        "AddParticipant": ("agent_tickets_participants_create", TICKET),
        "MergeTicket": ("agent_tickets_merge_create", TICKET)},
    ("webhooks_create", "201"): {
        "GetWebhook": ("webhooks_retrieve", {"webhook_id": "$response.body#/id"}),
        "WebhookDeliveries": ("webhooks_deliveries_list",
                              {"webhook_id": "$response.body#/id"})},
}


def operation_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: the LINKS above, on the operations present."""
    operations = {operation["operationId"]: operation
                  for path in result.get("paths", {}).values()
                  for operation in path.values()}
    for (operation_id, status), links in LINKS.items():
        response = operations.get(operation_id, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {name: {"operationId": target, "parameters": parameters}
                             for name, (target, parameters) in links.items()
                             if target in operations}
    return result
