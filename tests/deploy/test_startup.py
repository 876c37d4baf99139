"""Production refuses to start, with one line naming everything missing (no traceback), and
never falls back to the embedded default's SQLite, in-process tasks or .eml files."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from helpdesk import startup
from tests.support.procs import free_port

DOCUMENTED = {
    "HELPDESK_PROFILE": "production",
    "SECRET_KEY": "k3y-" * 13,
    "DATABASE_URL": "postgres://helpdesk@127.0.0.1:5432/helpdesk",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "helpdesk.example.com",
    "SITE_URL": "https://helpdesk.example.com",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
}
REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "SITE_URL",
            "EMAIL_BACKEND")
# Names that must not leak in from the test run's own environment.
CLEARED = (*DOCUMENTED, "ANYMAIL", "MAIL_WEBHOOKS_ENABLED", "MAIL_WEBHOOK_PROVIDERS",
           "HELPDESK_BUILD_STATIC",
           "CELERY_TASK_ALWAYS_EAGER", "TEST_DATABASE_NAME", "CELERY_BROKER_URL")


def manage_check(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR,
                          env={**base, **env}, capture_output=True, text=True, timeout=120)


def assert_refused(result: subprocess.CompletedProcess, *names: str) -> None:
    assert result.returncode == startup.REFUSAL_EXIT_STATUS == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("helpdesk: the production profile")
    for name in names:
        assert name in lines[0]


@pytest.mark.parametrize("name", REQUIRED)
def test_production_without_a_required_variable_prints_one_line_and_exits(name):
    env = {k: v for k, v in DOCUMENTED.items() if k != name}
    result = manage_check(env)
    assert_refused(result, name)
    others = [n for n in REQUIRED if n != name]
    assert not any(f" {other}" in result.stderr for other in others)


def test_every_missing_variable_is_named_on_the_one_line():
    result = manage_check({"HELPDESK_PROFILE": "production"})
    assert_refused(result, *REQUIRED)


def test_an_empty_variable_is_missing():
    result = manage_check({**DOCUMENTED, "DATABASE_URL": ""})
    assert_refused(result, "DATABASE_URL")


def test_webhooks_enabled_without_a_secret_refuse_to_start():
    result = manage_check({**DOCUMENTED, "MAIL_WEBHOOKS_ENABLED": "true",
                           "ANYMAIL": '{"POSTMARK_SERVER_TOKEN": "t"}'})
    assert_refused(result, "ANYMAIL WEBHOOK_SECRET")


def test_a_webhook_provider_without_a_secret_refuses_to_start():
    result = manage_check({**DOCUMENTED, "MAIL_WEBHOOK_PROVIDERS": "postmark"})
    assert_refused(result, "ANYMAIL WEBHOOK_SECRET")


def test_an_unknown_webhook_provider_is_one_line():
    result = manage_check({**DOCUMENTED, "MAIL_WEBHOOK_PROVIDERS": "postmark,postmrak",
                           "ANYMAIL": '{"WEBHOOK_SECRET": "u:p"}'})
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("helpdesk: MAIL_WEBHOOK_PROVIDERS: postmrak is not")


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "postgress://helpdesk@127.0.0.1:5432/helpdesk"),
    ("DATABASE_URL", "postgres://helpdesk@127.0.0.1:port/helpdesk"),
    ("ANYMAIL", '{"POSTMARK_SERVER_TOKEN": "t"'),
    ("CONN_MAX_AGE", "a minute"),
    ("READY_PENDING_MAIL_MINUTES", "15m"),
])
def test_a_malformed_value_is_one_line_naming_it(name, value):
    result = manage_check({**DOCUMENTED, name: value})
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"helpdesk: {name} is not a valid value")


def test_the_documented_environment_starts():
    result = manage_check(DOCUMENTED)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_build_switch_refuses_anything_but_collectstatic():
    result = manage_check({"HELPDESK_PROFILE": "production", "HELPDESK_BUILD_STATIC": "1"})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [startup.BUILD_REFUSAL]


@pytest.mark.parametrize(("environ", "missing"), [
    ({**DOCUMENTED}, []),
    ({**DOCUMENTED, "MAIL_WEBHOOKS_ENABLED": "false"}, []),
    ({**DOCUMENTED, "MAIL_WEBHOOKS_ENABLED": "on"},
     [startup.WEBHOOK_SECRET_NAME, startup.WEBHOOK_PROVIDERS_NAME]),
    ({**DOCUMENTED, "MAIL_WEBHOOKS_ENABLED": "on",
      "ANYMAIL": '{"WEBHOOK_SECRET": "u:p"}'}, [startup.WEBHOOK_PROVIDERS_NAME]),
    ({**DOCUMENTED, "MAIL_WEBHOOK_PROVIDERS": "postmark"}, [startup.WEBHOOK_SECRET_NAME]),
    ({**DOCUMENTED, "MAIL_WEBHOOK_PROVIDERS": "postmark",
      "ANYMAIL": '{"WEBHOOK_SECRET": "u:p"}'}, []),
    ({**DOCUMENTED, "MAIL_WEBHOOK_PROVIDERS": "postmark", "MAIL_WEBHOOKS_ENABLED": "off"}, []),
    ({**DOCUMENTED, "SECRET_KEY": "   "}, ["SECRET_KEY"]),
])
def test_production_missing(environ, missing):
    assert startup.production_missing(environ) == missing


def test_webhooks_are_on_by_default_exactly_when_a_secret_or_a_provider_is_set():
    assert startup.webhooks_enabled({"ANYMAIL": '{"WEBHOOK_SECRET": "u:p"}'})
    assert startup.webhooks_enabled({"MAIL_WEBHOOK_PROVIDERS": "postmark"})
    assert startup.webhook_providers({"MAIL_WEBHOOK_PROVIDERS": " Postmark, mailgun,postmark"}
                                     ) == ["postmark", "mailgun"]
    assert not startup.webhooks_enabled({"ANYMAIL": '{"POSTMARK_SERVER_TOKEN": "t"}'})
    assert not startup.webhooks_enabled({"ANYMAIL": '{"WEBHOOK_SECRET": "u:p"}',
                                         "MAIL_WEBHOOKS_ENABLED": "no"})


def test_a_wrong_trusted_proxy_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        startup.networks(["10.0.0.0/8", "not-an-address"], name="TRUSTED_PROXIES")
    assert exit_info.value.code == 4
    assert "TRUSTED_PROXIES: 'not-an-address'" in capsys.readouterr().err


def test_a_wrong_proxy_ssl_header_is_one_line(capsys):
    assert startup.proxy_ssl_header(["HTTP_X_FORWARDED_PROTO", "https"]) == (
        "HTTP_X_FORWARDED_PROTO", "https")
    assert startup.proxy_ssl_header([]) is None
    with pytest.raises(SystemExit) as exit_info:
        startup.proxy_ssl_header(["X-Forwarded-Proto"])
    assert exit_info.value.code == 4
    assert "SECURE_PROXY_SSL_HEADER must be HEADER,value" in capsys.readouterr().err


def test_bare_gunicorn_halts_on_the_refusal_instead_of_re_forking(tmp_path):
    """`gunicorn helpdesk.wsgi` without deploy/bin/web's preflight: the worker exits 4
    (APP_LOAD_ERROR) and the arbiter halts, rather than forking a new worker forever."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(HELPDESK_PROFILE="production", HELPDESK_VAR_DIR=str(tmp_path / "var"))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "helpdesk.wsgi:application", "--workers", "1",
         "--bind", f"127.0.0.1:{free_port()}", "--no-control-socket"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        _out, err = server.communicate(timeout=60)  # a looping server never gets here
    finally:
        server.kill()
    assert server.returncode != 0
    refusals = [line for line in err.splitlines() if line.startswith("helpdesk: ")]
    assert len(refusals) == 1 and "missing SECRET_KEY" in refusals[0], err
    assert "App failed to load" in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "refused"), [
    (["manage.py", "collectstatic", "--noinput"], False),
    (["manage.py", "check", "--tag", "collectstatic"], True),
    (["manage.py", "shell", "-c", "print('collectstatic')"], True),
    (["manage.py"], True),
])
def test_the_build_switch_allows_only_the_collectstatic_command(argv, refused):
    line = startup.refusal({"HELPDESK_BUILD_STATIC": "1"}, argv)
    assert (line == startup.BUILD_REFUSAL) if refused else line is None
