"""Production smoke test: the deploy scripts for real, with the production settings, against
PostgreSQL and Redis, over HTTP.

A fresh database of its own (dropped after) and a Redis server of its own (nothing queued by
other tests can reach this site's worker); deploy/bin/migrate, deploy/bin/collectstatic into a
temporary STATIC_ROOT (the production manifest storage), `create_customer`, then
deploy/bin/web (gunicorn), deploy/bin/worker, deploy/bin/beat and deploy/bin/smtp. Requests
come as through the TLS proxy of deploy/nginx/helpdesk.conf (X-Forwarded-Proto: https from a
trusted proxy, the public Host of the site: helpdesk.example.test, the only ALLOWED_HOSTS
entry), so the documented security settings are on: SSL redirect, HSTS, secure cookies, and
a page or check that only works with Host 127.0.0.1 fails here. Outbound mail goes through Django's SMTP backend to sinks the test runs: the worker's
sink must receive exactly one confirmation carrying the ticket number, and the web process,
given a sink of its own, must send nothing.

Runs on the PostgreSQL pass (DATABASE_URL=postgres://…); there, with CI=true, missing
services fail the test instead of skipping it."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import environ
import pytest

from tests.support.procs import (
    ROOT,
    Processes,
    free_port,
    host_env,
    port_open,
    require_postgres,
    require_redis_server,
    service_missing,
    wait_until,
)
from tests.support.web import WebClient, form_fields

pytestmark = pytest.mark.integration

DATABASE_URL = os.environ.get("DATABASE_URL", "")
CUSTOMER_EMAIL = "smoke.customer@acme.example"
CUSTOMER_PASSWORD = "Smoke-" + secrets.token_urlsafe(12)
CLIENT_ADDRESS = "198.51.100.7"  # what the TLS proxy says the client is
SITE_URL = "https://helpdesk.example.test"  # public: the only name in ALLOWED_HOSTS
START_SECONDS = 180  # generous: the machine is shared; these are waits, not assertions

require_postgres()
require_redis_server()


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
        service_missing(f"PostgreSQL is unreachable: {error}")
    name = f"smoke_deploy_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = config.get("PASSWORD") or ""
    auth = f"{config['USER']}:{urllib.parse.quote(password)}" if password else config["USER"]
    yield f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


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


# --- the processes -------------------------------------------------------------------------

def production_env(*, tmp_path: Path, database_url: str, redis_url: str, web_port: int,
                   mail_port: int) -> dict:
    """The documented production environment, pointed at the test's own services (none of
    the test run's shortcuts: its hasher, static finders, mail directory)."""
    return host_env(
        tmp_path, PASSWORD_HASHERS=None, WHITENOISE_USE_FINDERS=None, CONN_MAX_AGE=None,
        MAIL_OUTBOX_DIR=None, LOG_LEVEL="WARNING", HOME=str(tmp_path), LANG="C.UTF-8",
        PYTHON=sys.executable,
        HELPDESK_PROFILE="production", SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url, REDIS_URL=redis_url,
        ALLOWED_HOSTS=urllib.parse.urlsplit(SITE_URL).hostname, SITE_URL=SITE_URL,
        CSRF_TRUSTED_ORIGINS=SITE_URL,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(mail_port),
        SECURE_SSL_REDIRECT="true", SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        TRUSTED_PROXIES="127.0.0.1,::1", MAIL_WEBHOOKS_ENABLED="false",
        WEB_BIND=f"127.0.0.1:{web_port}", WEB_CONCURRENCY="2",
        WORKER_CONCURRENCY="1", WORKER_NAME=f"smoke-{secrets.token_hex(4)}@%h",
        BEAT_SCHEDULE_FILE=str(tmp_path / "var" / "celerybeat-schedule"),
        # The worker heartbeat /readyz reads: sooner than the production 30 s.
        WORKER_HEARTBEAT_SECONDS="3")


def run_script(args: list[str], env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{args}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def start_listening(processes: Processes, script: str, *, env: dict, port: int):
    process = processes.start([f"deploy/bin/{script}"], env=env, name=script)
    wait_until(lambda: port_open(port) or process.poll() is not None, timeout=START_SECONDS,
               interval=0.2, what=f"deploy/bin/{script} on {port}")
    assert process.poll() is None, process.log_path.read_text()[-3000:]
    return process


def browser_through_the_proxy(web_port: int) -> WebClient:
    """A browser at SITE_URL, through the TLS proxy of deploy/nginx/helpdesk.conf: the
    public Host and Origin, X-Forwarded-Proto: https and X-Forwarded-For, as nginx sends
    them to gunicorn."""
    return WebClient(f"http://127.0.0.1:{web_port}", site_url=SITE_URL, tls_proxy=True,
                     follow=True, headers={"X-Forwarded-For": CLIENT_ADDRESS,
                                           "Accept-Language": "en"})


# --- the steps ---------------------------------------------------------------------------

def static_file_is_hashed(browser: WebClient, static_root: Path) -> str:
    """A static file under its hashed name from the production manifest; that name."""
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert hashed != "css/site.css"
    response = browser.get(f"/static/{hashed}")
    assert response.status_code == 200
    assert response.text == (ROOT / "static" / "css" / "site.css").read_text()
    return hashed


def login(browser: WebClient, *, hashed_css: str) -> None:
    """Through the real login form (the page links the hashed stylesheet; HSTS is on)."""
    page = browser.get("/accounts/login/")
    assert page.status_code == 200 and f"/static/{hashed_css}" in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    response = browser.login(CUSTOMER_EMAIL, CUSTOMER_PASSWORD)
    assert (response.status_code, urllib.parse.urlsplit(response.url).path) == (200, "/"), \
        response.text[:2000]


def submit_ticket(browser: WebClient) -> str:
    """Through the real submit wizard, in the first department open to everyone: every
    field as the page offers it, empty ones filled in. The ticket's number."""
    page = browser.get("/tickets/new/")
    details = re.search(r'class="department-link" href="(/tickets/new/[^"]+/)"',
                        page.text).group(1)
    page = browser.get(details)
    fields = {name: value or "smoke test" for name, value in form_fields(page).items()}
    fields.update(subject="Smoke test: no dial tone",
                  message="The production smoke test opened this ticket.")
    response = browser.post_form(details, fields, page=page)
    path = urllib.parse.urlsplit(response.url).path
    submitted = re.fullmatch(r"/tickets/([A-Z]{3}-[0-9]{3}-[0-9]{5})/submitted/", path)
    assert submitted, (path, response.text[:3000])
    number = submitted.group(1)
    assert f"data-ticket-number>{number}<" in response.text
    return number


def readyz(browser: WebClient) -> dict | None:
    """/readyz's body when it answers 200; None while a check still fails (503)."""
    response = browser.get("/readyz")
    return response.json() if response.status_code == 200 else None


def health_checks(browser: WebClient, *, env: dict, web_env: dict, smtp_port: int) -> None:
    """The container health checks, for real against these processes, and /readyz through
    the proxy."""
    for name, check_env in (("worker", env), ("beat", env),
                            ("smtp", {**env, "SMTP_PORT": str(smtp_port)}),
                            ("web", web_env)):
        result = subprocess.run(["deploy/bin/healthcheck", name], cwd=ROOT, env=check_env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (name, result.stderr)
    ready = wait_until(lambda: readyz(browser), timeout=START_SECONDS, interval=0.5,
                       what="/readyz answering 200 (database, Redis, worker heartbeat, mail)")
    assert ready["status"] == "ok" and ready["failed"] == [], ready


# --- the test ------------------------------------------------------------------------------

def test_production_deploy_serves_a_ticket_and_the_worker_sends_its_confirmation(
        tmp_path, fresh_database, private_redis, sinks, processes):
    worker_sink, web_sink = sinks
    web_port, smtp_port = free_port(), free_port()
    env = production_env(tmp_path=tmp_path, database_url=fresh_database,
                         redis_url=private_redis.url, web_port=web_port,
                         mail_port=worker_sink.port)
    # The web process gets a sink of its own: mail it sent itself would land there.
    web_env = {**env, "EMAIL_PORT": str(web_sink.port)}

    run_script(["deploy/bin/migrate"], env)
    run_script(["deploy/bin/collectstatic"], env)
    run_script(["deploy/bin/manage", "create_customer", "--email", CUSTOMER_EMAIL,
                "--organization", "Smoke Test Telecom", "--create-organization",
                "--full-name", "Sam Smoke",
                "--confirmed"], {**env, "HELPDESK_CUSTOMER_PASSWORD": CUSTOMER_PASSWORD})
    start_listening(processes, "web", env=web_env, port=web_port)
    worker = processes.start(["deploy/bin/worker"], env=env, name="worker")
    beat = processes.start(["deploy/bin/beat"], env=env, name="beat")
    start_listening(processes, "smtp", env={**env, "SMTP_BIND_HOST": "127.0.0.1",
                                            "SMTP_PORT": str(smtp_port)}, port=smtp_port)

    browser = browser_through_the_proxy(web_port)
    login(browser, hashed_css=static_file_is_hashed(browser, tmp_path / "static"))
    number = submit_ticket(browser)
    # The worker sends the confirmation; the web process sends nothing itself.
    wait_until(lambda: worker_sink.received(), timeout=START_SECONDS, interval=0.2,
               what="the confirmation email at the worker's SMTP sink")
    health_checks(browser, env=env, web_env=web_env, smtp_port=smtp_port)

    # A warm shutdown finishes whatever the worker holds; then count.
    processes.stop(beat)
    processes.stop(worker, timeout=60)
    confirmations = worker_sink.received()
    assert len(confirmations) == 1, [m["Subject"] for m in confirmations]
    assert number in confirmations[0]["Subject"]
    assert confirmations[0]["To"] == CUSTOMER_EMAIL
    assert web_sink.received() == []
    assert 400 not in browser.statuses and 500 not in browser.statuses, browser.statuses
