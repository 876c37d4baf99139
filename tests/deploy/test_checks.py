"""`check --deploy`: silent on the documented production environment; each of our own deploy
checks fires when what it guards is broken."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.checks import registry

from helpdesk import checks
from tests.deploy.test_startup import CLEARED

OUR_CHECKS = (checks.site_url_check, checks.email_backend_check, checks.webhook_secret_check,
              checks.debug_check, checks.tasks_check, checks.database_check, checks.oidc_check)


def test_check_deploy_is_silent_on_the_documented_environment():
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    result = subprocess.run(
        ["deploy/bin/check-deploy", "deploy/production.env.example"], cwd=settings.BASE_DIR,
        env={**base, "PYTHON": sys.executable, "SECRET_KEY": secrets.token_urlsafe(50)},
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_our_checks_run_only_with_deploy():
    deploy = registry.registry.get_checks(include_deployment_checks=True)
    plain = registry.registry.get_checks(include_deployment_checks=False)
    for check in OUR_CHECKS:
        assert check in deploy
        assert check not in plain


@pytest.fixture
def production(settings, monkeypatch):
    """The documented production values (each test then breaks one thing)."""
    settings.SITE_URL = "https://helpdesk.example.com"
    settings.ALLOWED_HOSTS = ["helpdesk.example.com"]
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.MAIL_WEBHOOKS_ENABLED = False
    settings.ANYMAIL = {}
    settings.DEBUG = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE",
                        "django.db.backends.postgresql")
    return settings


def ids(check) -> list[str]:
    return [issue.id for issue in check(None)]


def test_all_clean_on_production_values(production):
    assert [issue for check in OUR_CHECKS for issue in check(None)] == []


def test_site_url_not_https(production):
    production.SITE_URL = "http://helpdesk.example.com"
    assert ids(checks.site_url_check) == ["helpdesk.W001"]


def test_site_url_host_not_allowed(production):
    production.SITE_URL = "https://other.example.com"
    assert ids(checks.site_url_check) == ["helpdesk.E002"]


def test_site_url_host_allowed_by_a_wildcard(production):
    production.ALLOWED_HOSTS = [".example.com"]
    assert ids(checks.site_url_check) == []


@pytest.mark.parametrize(("host", "allowed_hosts", "allowed"), [
    ("helpdesk.example.com", ["helpdesk.example.com"], True),
    ("Helpdesk.Example.com", ["helpdesk.example.com"], True),
    ("helpdesk.example.com.", ["helpdesk.example.com"], True),
    ("helpdesk.example.com", [".example.com"], True),
    ("example.com", [".example.com"], True),
    ("badexample.com", [".example.com"], False),
    ("example.com.evil.example", [".example.com"], False),
    ("other.example.com", ["helpdesk.example.com"], False),
    ("anything.example", ["*"], True),
    ("helpdesk.example.com", [], False),
])
def test_host_allowed_matches_like_allowed_hosts(host, allowed_hosts, allowed):
    assert checks.host_allowed(host, allowed_hosts) is allowed


@pytest.mark.parametrize("backend", [
    "helpdesk.mail_backends.EmlFileBackend", "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend"])
def test_email_backend_that_never_delivers(production, backend):
    production.EMAIL_BACKEND = backend
    assert ids(checks.email_backend_check) == ["helpdesk.E003"]


def test_smtp_backend_delivers(production):
    production.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert ids(checks.email_backend_check) == []


def test_webhooks_without_secret(production):
    production.MAIL_WEBHOOKS_ENABLED = True
    assert ids(checks.webhook_secret_check) == ["helpdesk.E004"]
    production.ANYMAIL = {"WEBHOOK_SECRET": "u:p"}
    assert ids(checks.webhook_secret_check) == []


def test_webhook_providers_named_and_configured(production):
    production.MAIL_WEBHOOKS_ENABLED = True
    production.ANYMAIL = {"WEBHOOK_SECRET": "u:p"}
    production.MAIL_WEBHOOK_PROVIDERS = []
    assert ids(checks.webhook_providers_check) == ["helpdesk.E030"]
    production.MAIL_WEBHOOK_PROVIDERS = ["postmark", "mailgun"]  # mailgun needs its key
    issues = checks.webhook_providers_check(None)
    assert [issue.id for issue in issues] == ["helpdesk.E031"]
    assert "mailgun" in issues[0].msg and "u:p" not in issues[0].msg
    production.ANYMAIL = {"WEBHOOK_SECRET": "u:p", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
    assert ids(checks.webhook_providers_check) == []
    production.MAIL_WEBHOOKS_ENABLED = False
    production.MAIL_WEBHOOK_PROVIDERS = []
    assert ids(checks.webhook_providers_check) == []


def test_debug_on(production):
    production.DEBUG = True
    assert ids(checks.debug_check) == ["helpdesk.E005"]


def test_eager_tasks_or_memory_broker(production):
    production.CELERY_TASK_ALWAYS_EAGER = True
    assert ids(checks.tasks_check) == ["helpdesk.E006"]
    production.CELERY_TASK_ALWAYS_EAGER = False
    production.CELERY_BROKER_URL = "memory://"
    assert ids(checks.tasks_check) == ["helpdesk.E006"]


def test_sqlite(production, monkeypatch):
    monkeypatch.setitem(production.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert ids(checks.database_check) == ["helpdesk.E007"]


def test_portal_sign_in_endpoints_must_be_https(production):
    production.OIDC_ENABLED = True
    for name in ("OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                 "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"):
        setattr(production, name, f"https://portal.example.com/{name.lower()}")
    assert ids(checks.oidc_check) == []
    production.OIDC_OP_TOKEN_ENDPOINT = "http://portal.example.com/token"
    assert ids(checks.oidc_check) == ["helpdesk.E008"]
