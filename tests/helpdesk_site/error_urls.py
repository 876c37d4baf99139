"""The site's URLs plus views that fail as a lost database or a bug would (error page tests)."""

from django.db import InterfaceError, OperationalError
from django.urls import path

from helpdesk.urls import handler404, handler500  # noqa: F401
from helpdesk.urls import urlpatterns as site_urlpatterns


def database_down(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def connection_gone(request):
    try:
        raise InterfaceError("connection already closed")
    except InterfaceError as exc:
        raise RuntimeError("while rendering") from exc


def bug(request):
    raise ZeroDivisionError


urlpatterns = [
    path("test-errors/database-down/", database_down),
    path("test-errors/connection-gone/", connection_gone),
    path("test-errors/bug/", bug),
    *site_urlpatterns,
]
