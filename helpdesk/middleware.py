"""Project middleware: the request id (helpdesk.request_id). No database or cache query."""

from __future__ import annotations

from django.conf import settings

from .request_id import new_request_id, request_id_from_header, request_id_var

RESPONSE_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """First in the stack: every log record of the request, the error pages and the response
    carry one id, the trusted proxy's X-Request-ID or a new one."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.trust_header = settings.REQUEST_ID_TRUST_HEADER

    def __call__(self, request):
        request_id = None
        if self.trust_header:
            request_id = request_id_from_header(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id or new_request_id()
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[RESPONSE_HEADER] = request.request_id
        return response
