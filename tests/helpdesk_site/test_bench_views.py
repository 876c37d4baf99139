"""The bench-only views exist only when BENCH_VIEWS is true (`make bench`'s own server)."""

import importlib
import subprocess
import sys
from wsgiref.util import setup_testing_defaults

import pytest
from django.urls import clear_url_caches

import helpdesk.urls
from tests.support.procs import ROOT

pytestmark = pytest.mark.django_db


def _wsgi_get(application, path: str) -> tuple[str, dict, bytes]:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "SERVER_NAME": "127.0.0.1"}
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def bench_views(settings):
    settings.BENCH_VIEWS = True
    importlib.reload(helpdesk.urls)
    clear_url_caches()
    yield
    settings.BENCH_VIEWS = False
    importlib.reload(helpdesk.urls)
    clear_url_caches()


def test_the_setting_is_off_unless_the_environment_turns_it_on():
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.BENCH_VIEWS)"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
           "HELPDESK_VAR_DIR": str(ROOT / "var")}
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    assert output[-1] == "False"


def test_no_bench_url_by_default(client):
    assert client.get("/bench/trivial/").status_code == 404
    from helpdesk.bench_wsgi import application

    status, _headers, _body = _wsgi_get(application, "/bench/bare/")
    assert status.startswith("404")


def test_the_trivial_view_answers_through_the_middleware(client, bench_views):
    response = client.get("/bench/trivial/")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["X-Frame-Options"] == "DENY"  # the project's middleware ran


def test_the_bare_view_answers_without_middleware(bench_views):
    from helpdesk.bench_wsgi import application

    status, headers, body = _wsgi_get(application, "/bench/bare/")
    assert status.startswith("200") and body == b"ok\n"
    assert "X-Frame-Options" not in headers and "Vary" not in headers
    status, headers, _body = _wsgi_get(application, "/bench/trivial/")
    assert status.startswith("200") and headers["X-Frame-Options"] == "DENY"
