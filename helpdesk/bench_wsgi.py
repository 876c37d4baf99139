"""WSGI entry point of the benchmark server (`make bench` runs gunicorn on it).

The same application as helpdesk.wsgi, except that with BENCH_VIEWS true the path
/bench/bare/ is answered without any middleware: URL resolution (django.urls.resolve), the
view called with the WSGIRequest, and the response; the ceiling a Django view can reach on
this server. Public API only: no Django handler internals. Production never uses this module.
"""

import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.urls import resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from helpdesk.wsgi import application as site_application  # noqa: E402  (django.setup())

BARE_PATH = "/bench/bare/"


def bare_application(environ, start_response):
    """The resolved view's response as WSGI; closing it (the server does) sends
    request_finished, as Django's own handler does."""
    request = WSGIRequest(environ)
    match = resolve(request.path_info)
    response = match.func(request, *match.args, **match.kwargs)
    headers = [*response.items(),
               *(("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values())]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return response


def application(environ, start_response):
    if settings.BENCH_VIEWS and environ.get("PATH_INFO") == BARE_PATH:
        return bare_application(environ, start_response)
    return site_application(environ, start_response)
