"""Every request has an id (a trusted proxy's X-Request-ID or a new one), returned in the
response header and on every log line of the request, JSON in production, and on the log
lines of the tasks the request queued."""

import io
import json
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from helpdesk.request_id import RequestIdFilter
from tests.helpdesk_site import request_id_urls  # noqa: F401 (registers the task)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "tests.helpdesk_site.request_id_urls"
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def json_lines():
    """The root logger's records, formatted by the production formatter (LOG_FORMAT=json)."""
    config = django_settings.LOGGING["formatters"]["json"]
    formatter = import_string(config["()"])(fmt=config["format"],
                                             rename_fields=config["rename_fields"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_gets_an_id_on_its_response_and_its_json_log_lines(client, json_lines):
    response = client.get("/logs-and-queues/")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = {line["message"]: line for line in json_lines()}
    assert lines["view says hello"]["request_id"] == request_id
    assert lines["view says hello"]["level"] == "WARNING"
    assert lines["view says hello"]["logger"] == "tests.request_id"


def test_a_task_queued_by_the_request_logs_the_same_id(client, json_lines):
    request_id = client.get("/logs-and-queues/")["X-Request-ID"]
    lines = {line["message"]: line for line in json_lines()}
    assert lines["task says hello"]["request_id"] == request_id


def test_two_requests_have_two_ids_and_none_leaks_outside(client, json_lines):
    first = client.get("/logs-and-queues/")["X-Request-ID"]
    second = client.get("/logs-and-queues/")["X-Request-ID"]
    logging.getLogger("tests.request_id").warning("outside")
    assert first != second
    assert {line["message"]: line for line in json_lines()}["outside"]["request_id"] == "-"


def test_a_trusted_proxys_id_is_kept(client, settings):
    settings.REQUEST_ID_TRUST_HEADER = True
    response = client.get("/logs-and-queues/", HTTP_X_REQUEST_ID="lb-1234.abcd")
    assert response["X-Request-ID"] == "lb-1234.abcd"


@pytest.mark.parametrize("trusted,sent", [(False, "lb-1234"), (True, "bad id\nwith newline")])
def test_an_untrusted_or_malformed_id_is_replaced(client, settings, trusted, sent):
    settings.REQUEST_ID_TRUST_HEADER = trusted
    response = client.get("/logs-and-queues/", HTTP_X_REQUEST_ID=sent)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_with_trusted_proxies_only_their_id_is_believed(client, settings):
    """A client reaching gunicorn directly cannot choose its id (logs, Sentry, task headers)."""
    from ipaddress import ip_network

    settings.REQUEST_ID_TRUST_HEADER = True
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8")]
    kept = client.get("/logs-and-queues/", REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID="lb-1")
    assert kept["X-Request-ID"] == "lb-1"
    forged = client.get("/logs-and-queues/", REMOTE_ADDR="203.0.113.9",
                        HTTP_X_REQUEST_ID="lb-1")
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_the_log_format_is_json_in_production_and_text_by_default(tmp_path):
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    base = {"DJANGO_SETTINGS_MODULE": "helpdesk.settings", "HELPDESK_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin"}
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env={**base, **env}, capture_output=True, text=True, cwd=django_settings.BASE_DIR,
        check=True).stdout.strip()
    assert run() == "text"
    production = {"HELPDESK_PROFILE": "production", "SECRET_KEY": "x" * 50,
                  "DATABASE_URL": "postgres://helpdesk@127.0.0.1:5432/helpdesk",
                  "REDIS_URL": "redis://127.0.0.1:6379/0", "ALLOWED_HOSTS": "helpdesk.example",
                  "SITE_URL": "https://helpdesk.example",
                  "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}
    assert run(**production) == "json"
    assert run(**production, LOG_FORMAT="text") == "text"
    assert run(LOG_FORMAT="json") == "json"


def test_sentry_is_on_only_with_a_dsn_and_sends_no_personal_data(tmp_path):
    import subprocess
    import sys

    code = ("import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
            "print(c.is_active(), c.options['send_default_pii'], "
            "sorted(i for i in c.integrations if i in ('django', 'celery')))")
    base = {"DJANGO_SETTINGS_MODULE": "helpdesk.settings", "HELPDESK_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin"}
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
        cwd=django_settings.BASE_DIR, check=True).stdout.strip()
    assert run() .startswith("False")
    assert run(SENTRY_DSN="http://public@127.0.0.1:9/1") == "True False ['celery', 'django']"
