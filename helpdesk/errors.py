"""Our 404, 500 and 503 pages (settings: handler404 / handler500 in helpdesk.urls).

Rendered without the request's context (no context processor, so no user, session or
message lookup) and so without any database query, in the language already chosen by the
middleware (the contact's, else the cookie's or the browser's, else Spanish). A database
error (OperationalError / InterfaceError, wherever it was raised: a view or a middleware) is
a 503 with Retry-After rather than a 500: an unreachable database, but also a deadlock, a
serialization failure or a statement timeout, so the page claims neither the cause nor that
what was sent is safe (it asks to send it again)."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

from .request_id import NO_REQUEST_ID, request_id_var

logger = logging.getLogger("helpdesk.errors")
RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)
# When even the template cannot be rendered (a missing static manifest, say).
BARE_PAGE = "<!doctype html><title>{status}</title><h1>{status}</h1>"


def _page(template_name: str, status: int) -> HttpResponse:
    request_id = request_id_var.get()
    context = {"status": status, "request_id": "" if request_id == NO_REQUEST_ID else request_id}
    try:
        body = loader.render_to_string(template_name, context)
    except Exception:
        logger.exception("Error page %s could not be rendered", template_name)
        body = BARE_PAGE.format(status=status)
    return HttpResponse(body, status=status)


API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request is not None and request.path.startswith(API_PREFIX)


def _api_error(status: int, code: str, detail: str) -> JsonResponse:
    """The API's one error format (drf-standardized-errors) for what no API view answered:
    an unknown path, an error outside a view."""
    error_type = "client_error" if status < 500 else "server_error"
    return JsonResponse({"type": error_type,
                         "errors": [{"code": code, "detail": str(detail), "attr": None}]},
                        status=status)


def bad_request(request, exception=None):
    """A request refused before any view (a NUL character, a suspicious operation)."""
    if _is_api(request):
        from rest_framework.exceptions import ParseError

        return _api_error(400, "parse_error", ParseError.default_detail)
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)


def page_not_found(request, exception=None):
    if _is_api(request):
        from rest_framework.exceptions import NotFound

        return _api_error(404, "not_found", NotFound.default_detail)
    return _page("404.html", 404)


def service_unavailable(request=None):
    if _is_api(request):
        response = _api_error(503, "error", "The service is unavailable: try again later.")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    response = _page("503.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """The 500 page, or the 503 page when the error being handled is the database's."""
    error, depth = sys.exc_info()[1], 0
    while error is not None and not isinstance(error, DATABASE_ERRORS) and depth < 10:
        error, depth = error.__cause__ or error.__context__, depth + 1
    if isinstance(error, DATABASE_ERRORS):
        return service_unavailable(request)
    if _is_api(request):
        from rest_framework.exceptions import APIException

        return _api_error(500, "error", APIException.default_detail)
    return _page("500.html", 500)
