"""Bench-only views (`make bench`): mounted under /bench/ only when BENCH_VIEWS is true
(never by default). They read nothing and write nothing: they measure the server itself.

- /bench/trivial/ answers through the project's whole middleware stack (anonymous or
  signed in, as the client comes);
- /bench/bare/ is the same view served by `helpdesk.bench_wsgi` without any middleware
  (resolve + the view, public API only):
  the ceiling of a Django view on this server.
"""

from django.http import HttpResponse
from django.urls import path

BODY = b"ok\n"


def trivial(request):
    response = HttpResponse(BODY, content_type="text/plain")
    response["Content-Length"] = len(BODY)  # as CommonMiddleware sets it on the other pages
    return response


app_name = "bench"
urlpatterns = [
    path("trivial/", trivial, name="trivial"),
    path("bare/", trivial, name="bare"),
]
