"""Production smoke test: the deploy scripts for real, with the production settings, against
PostgreSQL and Redis, over HTTP with the standard library only.

A fresh database of its own (dropped after) and a Redis server of its own (nothing queued by
other tests can reach this site's worker); deploy/bin/migrate, deploy/bin/collectstatic into a
temporary STATIC_ROOT (the production manifest storage), `create_customer`, then
deploy/bin/web (gunicorn), deploy/bin/worker, deploy/bin/beat and deploy/bin/smtp. Requests
come as through the TLS proxy of deploy/nginx/helpdesk.conf (X-Forwarded-Proto: https from a
trusted proxy), so the documented security settings are on: SSL redirect, HSTS, secure
cookies. Outbound mail goes through Django's SMTP backend to sinks the test runs: the worker's
sink must receive exactly one confirmation carrying the ticket number, and the web process,
given a sink of its own, must send nothing.

Runs on the PostgreSQL pass (DATABASE_URL=postgres://…); there, with CI=true, missing
services fail the test instead of skipping it."""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import environ
import pytest

from tests.support.procs import (
    IN_CI,
    ROOT,
    PrivateRedis,
    Processes,
    free_port,
    port_open,
    wait_until,
)

pytestmark = pytest.mark.integration

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
CUSTOMER_EMAIL = "smoke.customer@acme.example"
CUSTOMER_PASSWORD = "Smoke-" + secrets.token_urlsafe(12)
CLIENT_ADDRESS = "198.51.100.7"  # what the TLS proxy says the client is
START_SECONDS = 180  # generous: the machine is shared; these are waits, not assertions

if not ON_POSTGRES:
    pytest.skip("the production smoke test needs DATABASE_URL=postgres://… (the CI PostgreSQL "
                "pass runs it)", allow_module_level=True)
if not shutil.which("redis-server"):
    if IN_CI:
        raise RuntimeError("CI=true but redis-server is not installed (the production smoke "
                           "test runs a Redis server of its own)")
    pytest.skip("redis-server not installed", allow_module_level=True)


# --- services of the test's own: a fresh database, Redis, SMTP sinks -----------------------

def _admin_connection():
    import psycopg2

    config = environ.Env.db_url_config(DATABASE_URL)
    connection = psycopg2.connect(
        dbname=config["NAME"] or "postgres", user=config["USER"],
        password=config.get("PASSWORD") or None, host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432, connect_timeout=10)
    connection.autocommit = True
    return connection, config


@pytest.fixture
def fresh_database():
    """A new, empty database on the same server; its URL. Dropped afterwards."""
    try:
        connection, config = _admin_connection()
    except Exception as error:  # noqa: BLE001 (any failure to reach the server)
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL unreachable: {error}")
    name = f"smoke_deploy_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = config.get("PASSWORD") or ""
    auth = f"{config['USER']}:{urllib.parse.quote(password)}" if password else config["USER"]
    yield f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


class Sink:
    """An SMTP server that keeps every message it receives (aiosmtpd, in a thread)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def received(self) -> list:
        with self._lock:
            return list(self.messages)


@pytest.fixture
def sinks():
    worker_sink, web_sink = Sink(), Sink()
    worker_sink.controller.start()
    web_sink.controller.start()
    yield worker_sink, web_sink
    worker_sink.controller.stop()
    web_sink.controller.stop()


# --- HTTP through the simulated TLS proxy, standard library only ---------------------------

class ProxiedTlsPolicy(http.cookiejar.DefaultCookiePolicy):
    """The browser talks https to the proxy: secure cookies go back (the proxy forwards them
    to gunicorn over plain HTTP)."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    def __init__(self, base_url: str, site_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar(policy=ProxiedTlsPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        # What deploy/nginx/helpdesk.conf sets, plus the browser's Origin on every request.
        self.opener.addheaders = [("X-Forwarded-Proto", "https"),
                                  ("X-Forwarded-For", CLIENT_ADDRESS), ("Origin", site_url),
                                  ("Accept-Language", "en")]

    def open(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        response = self.opener.open(self.base_url + path, data=body, timeout=60)
        with response:
            return response.status, urllib.parse.urlsplit(response.url).path, \
                response.read().decode(), response.headers


def readyz(browser: Browser) -> dict | None:
    """/readyz's body when it answers 200; None while a check still fails (503)."""
    try:
        status, _, body, _ = browser.open("/readyz")
    except urllib.error.HTTPError:
        return None
    return json.loads(body) if status == 200 else None


class FormParser(HTMLParser):
    """The fields of the page's POST form: hidden and text inputs, textareas, selects."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "checkbox", "submit"):
            self.fields[name] = attrs.get("value") or "smoke test"
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = "The production smoke test opened this ticket."
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and attrs.get("value") \
                and not self.fields[self._select]:
            self.fields[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


# --- the processes -------------------------------------------------------------------------

def production_env(*, tmp_path: Path, database_url: str, redis_url: str, web_port: int,
                   mail_port: int) -> dict:
    """The documented production environment, pointed at the test's own services."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "LANG": "C.UTF-8", "PYTHON": sys.executable, "PYTHONUNBUFFERED": "1",
        "HELPDESK_PROFILE": "production", "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1", "SITE_URL": f"https://127.0.0.1:{web_port}",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{web_port}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(mail_port),
        "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "TRUSTED_PROXIES": "127.0.0.1,::1", "MAIL_WEBHOOKS_ENABLED": "false",
        "HELPDESK_VAR_DIR": str(tmp_path / "var"), "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"), "LOG_LEVEL": "WARNING",
        "WEB_BIND": f"127.0.0.1:{web_port}", "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1", "WORKER_NAME": f"smoke-{secrets.token_hex(4)}@%h",
        "BEAT_SCHEDULE_FILE": str(tmp_path / "var" / "celerybeat-schedule"),
        # The worker heartbeat /readyz reads: sooner than the production 30 s.
        "WORKER_HEARTBEAT_SECONDS": "3",
    }


def run_script(args: list[str], env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{args}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def start_listening(procs: Processes, script: str, *, env: dict, port: int):
    process = procs.start([f"deploy/bin/{script}"], env=env, name=script)
    wait_until(lambda: port_open(port) or process.poll() is not None, timeout=START_SECONDS,
               interval=0.2, what=f"deploy/bin/{script} on {port}")
    assert process.poll() is None, process.log_path.read_text()[-3000:]
    return process


@pytest.fixture
def procs(tmp_path):
    processes = Processes(tmp_path / "logs")
    yield processes
    processes.stop_all()


# --- the test ------------------------------------------------------------------------------

def test_production_deploy_serves_a_ticket_and_the_worker_sends_its_confirmation(
        tmp_path, fresh_database, redis_server, sinks, procs):
    worker_sink, web_sink = sinks
    web_port = free_port()
    env = production_env(tmp_path=tmp_path, database_url=fresh_database,
                         redis_url=redis_server.url, web_port=web_port,
                         mail_port=worker_sink.port)
    # The web process gets a sink of its own: mail it sent itself would land there.
    web_env = {**env, "EMAIL_PORT": str(web_sink.port)}

    run_script(["deploy/bin/migrate"], env)
    run_script(["deploy/bin/collectstatic"], env)
    run_script(["deploy/bin/manage", "create_customer", "--email", CUSTOMER_EMAIL,
                "--organization", "Smoke Test Telecom", "--full-name", "Sam Smoke",
                "--confirmed"], {**env, "HELPDESK_CUSTOMER_PASSWORD": CUSTOMER_PASSWORD})

    start_listening(procs, "web", env=web_env, port=web_port)
    worker = procs.start(["deploy/bin/worker"], env=env, name="worker")
    beat = procs.start(["deploy/bin/beat"], env=env, name="beat")
    smtp_port = free_port()
    start_listening(procs, "smtp", env={**env, "SMTP_BIND_HOST": "127.0.0.1",
                                        "SMTP_PORT": str(smtp_port)}, port=smtp_port)
    browser = Browser(f"http://127.0.0.1:{web_port}", env["SITE_URL"])

    # A static file under its hashed name from the production manifest.
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert hashed != "css/site.css"
    status, _, css, _ = browser.open(f"/static/{hashed}")
    assert status == 200
    assert css == (ROOT / "static" / "css" / "site.css").read_text()

    # Log in through the real login form (the page links the hashed stylesheet; HSTS is on).
    status, _, page, headers = browser.open("/accounts/login/")
    assert status == 200 and f"/static/{hashed}" in page
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    status, path, page, _ = browser.open("/accounts/login/", {
        "csrfmiddlewaretoken": csrf_token(page), "username": CUSTOMER_EMAIL,
        "password": CUSTOMER_PASSWORD})
    assert (status, path) == (200, "/"), page[:2000]

    # Open a ticket through the real submit wizard: the first department open to everyone.
    status, _, page, _ = browser.open("/tickets/new/")
    details = re.search(r'class="department-link" href="(/tickets/new/[^"]+/)"', page).group(1)
    status, _, page, _ = browser.open(details)
    form = FormParser()
    form.feed(page)
    form.fields["subject"] = "Smoke test: no dial tone"
    status, path, page, _ = browser.open(details, form.fields)
    submitted = re.fullmatch(r"/tickets/([A-Z]{3}-[0-9]{3}-[0-9]{5})/submitted/", path)
    assert submitted, (path, page[:3000])
    number = submitted.group(1)
    assert f"data-ticket-number>{number}<" in page

    # The worker sends the confirmation; the web process sends nothing itself.
    wait_until(lambda: worker_sink.received(), timeout=START_SECONDS, interval=0.2,
               what="the confirmation email at the worker's SMTP sink")

    # Container health checks, for real against these processes.
    for name, check_env in (("worker", env), ("beat", env),
                            ("smtp", {**env, "SMTP_PORT": str(smtp_port)})):
        result = subprocess.run(["deploy/bin/healthcheck", name], cwd=ROOT, env=check_env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (name, result.stderr)
    result = subprocess.run(["deploy/bin/healthcheck", "web"], cwd=ROOT, env=web_env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, ("web", result.stderr)
    ready = wait_until(lambda: readyz(browser), timeout=START_SECONDS, interval=0.5,
                       what="/readyz answering 200 (database, Redis, worker heartbeat, mail)")
    assert ready["status"] == "ok" and ready["failed"] == [], ready

    # A warm shutdown finishes whatever the worker holds; then count.
    procs.stop(beat)
    procs.stop(worker, timeout=60)
    confirmations = worker_sink.received()
    assert len(confirmations) == 1, [m["Subject"] for m in confirmations]
    assert number in confirmations[0]["Subject"]
    assert confirmations[0]["To"] == CUSTOMER_EMAIL
    assert web_sink.received() == []
