"""Project middleware: the health checks (helpdesk.health), the proxy headers believed
(accounts.client_ip), the request id (helpdesk.request_id) and the Content-Security-Policy
(settings.CONTENT_SECURITY_POLICY, built once by django-csp's build_policy). Only /readyz
makes a database query."""

from __future__ import annotations

from functools import wraps
from http import HTTPStatus

from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest, ImproperlyConfigured

from accounts.client_ip import proxy_headers_believed

from . import health
from .request_id import new_request_id, request_id_from_header, request_id_var

RESPONSE_HEADER = "X-Request-ID"
# PostgreSQL text cannot hold NUL: a "\x00" reaching a query is a ValueError, so a 500.
NUL_IN_REQUEST = "The request contains a NUL character."
NUL_MARKERS = ("\x00", "%00")


class HealthCheckMiddleware:
    """First in the stack: /healthz and /readyz are answered here, before SecurityMiddleware
    and CommonMiddleware, so a probe by IP address (Host: 127.0.0.1:8000, a load balancer's
    or the container's health check) is never refused by ALLOWED_HOSTS nor redirected to
    https, and opens no session. Any other path goes on through the stack."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = health.view_for(request.path_info)
        return view(request) if view else self.get_response(request)


class ProxyHeadersMiddleware:
    """Before SecurityMiddleware reads the scheme: the headers only a proxy may write about
    the request (SECURE_PROXY_SSL_HEADER's, e.g. X-Forwarded-Proto, and X-Request-ID) are
    dropped when TRUSTED_PROXIES is set and the peer is not one of them
    (accounts.client_ip.proxy_headers_believed): a client reaching gunicorn directly cannot
    claim https (skipping SECURE_SSL_REDIRECT) nor choose its request id."""

    def __init__(self, get_response):
        self.get_response = get_response
        scheme_header = (settings.SECURE_PROXY_SSL_HEADER or (None,))[0]
        self.names = tuple(name for name in (scheme_header, "HTTP_X_REQUEST_ID") if name)

    def __call__(self, request):
        if not proxy_headers_believed(request):
            for name in self.names:
                request.META.pop(name, None)
        return self.get_response(request)


class RequestIdMiddleware:
    """Early in the stack: every log record of the request, the error pages and the response
    carry one id, the trusted proxy's X-Request-ID (REQUEST_ID_TRUST_HEADER, and from a peer
    in TRUSTED_PROXIES when it is set: ProxyHeadersMiddleware) or a new one."""

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


class NulCharacterMiddleware:
    """A NUL character in the path or the query string ("?q=%00", "/tickets/%00/") is a 400
    before any view sees it: PostgreSQL refuses NUL in text, so such a value reaching a filter
    (an admin list filter, a search box, a lookup by number) would be a 500. Form fields refuse
    NUL in posted bodies themselves (Django's ProhibitNullCharactersValidator)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or any(marker in query for marker in NUL_MARKERS):
            raise BadRequest(NUL_IN_REQUEST)
        return self.get_response(request)


# django-csp leaves these to Django's debug pages (inline styles) when DEBUG is on.
DEBUG_PAGE_STATUSES = (HTTPStatus.NOT_FOUND, HTTPStatus.INTERNAL_SERVER_ERROR)


def _policy_settings(report_only: bool) -> dict:
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    return getattr(settings, name, None) or {}


def policy_headers() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(header, policy, excluded path prefixes) for the enforced policy and, when configured,
    the report-only one: the strings django-csp's CSPMiddleware sends on every response,
    built once (build_policy, its public API). Nonces need a policy per response: refused."""
    headers = []
    for name, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
        config = _policy_settings(report_only)
        directives = config.get("DIRECTIVES") or {}
        if any(NONCE in value for value in directives.values() if isinstance(value, (list, tuple, set))):
            raise ImproperlyConfigured("ContentSecurityPolicyMiddleware sends one policy for every "
                                       "response: csp.constants.NONCE is not supported.")
        policy = build_policy(report_only=report_only)
        if policy:
            headers.append((name, policy, tuple(config.get("EXCLUDE_URL_PREFIXES") or ())))
    return tuple(headers)


class ContentSecurityPolicyMiddleware:
    """django-csp's CSPMiddleware without its per-response work: the policy (from
    settings.CONTENT_SECURITY_POLICY, and _REPORT_ONLY when set) is built once, when the
    stack is loaded, and set on each response that has no such header of its own (a view's
    own policy: policy_update() below), except under EXCLUDE_URL_PREFIXES and on Django's
    debug 404 and 500 pages with DEBUG on, as django-csp does. django-csp's view decorators
    and its per-request nonce are not read (private attributes): use policy_update()."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = policy_headers()

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in DEBUG_PAGE_STATUSES and settings.DEBUG:
            return response
        for name, policy, excluded in self.headers:
            if name not in response and not (excluded and request.path_info.startswith(excluded)):
                response[name] = policy
        return response


def policy_update(directives: dict):
    """A view decorator: the site's policy with these sources added (django-csp's
    csp_update semantics, built once with build_policy(update=...)); the middleware then
    leaves the response's Content-Security-Policy as it is."""

    def decorator(view):
        policy = build_policy(update=directives)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response[HEADER] = policy
            return response

        return wrapped

    return decorator
