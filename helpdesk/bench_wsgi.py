"""WSGI entry point of the benchmark server (`make bench` runs gunicorn on it).

The same application as helpdesk.wsgi, except that with BENCH_VIEWS true the path
/bench/bare/ is answered by a Django handler that loads no middleware: URL resolution,
the view and the response only, the ceiling a Django view can reach on this server.
Production never uses this module.
"""

import os

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from helpdesk.wsgi import application as site_application  # noqa: E402  (django.setup())

BARE_PATH = "/bench/bare/"


class BareHandler(WSGIHandler):
    """A Django handler without middleware."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


bare_application = BareHandler()


def application(environ, start_response):
    if settings.BENCH_VIEWS and environ.get("PATH_INFO") == BARE_PATH:
        return bare_application(environ, start_response)
    return site_application(environ, start_response)
