"""One error format for every API failure (drf-standardized-errors): `{"type":
"validation_error" | "client_error" | "server_error", "errors": [{"code", "detail",
"attr"}]}`. The apps' own errors (their messages are constants in the user's language)
become 400 validation errors; a missing or foreign object is a 404 either way."""

from __future__ import annotations

from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions

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
