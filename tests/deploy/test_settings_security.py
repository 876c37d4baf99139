"""Security settings from the environment; SITE_URL follows `make run HOST=… PORT=…`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.deploy.test_startup import CLEARED, DOCUMENTED, manage_check

PRINT = ("import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'helpdesk.settings'; "
         "from django.conf import settings as s; "
         "print(repr([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
         "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER, "
         "[str(n) for n in s.TRUSTED_PROXIES], s.CSRF_TRUSTED_ORIGINS, s.SITE_URL, "
         "s.ALLOWED_HOSTS]))")


def settings_of(env: dict) -> list:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED and k != "SITE_URL"}
    result = subprocess.run([sys.executable, "-c", PRINT], cwd=settings.BASE_DIR,
                            env={**base, **env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip())


def test_every_security_setting_comes_from_the_environment():
    values = settings_of({**DOCUMENTED, "SECURE_SSL_REDIRECT": "true",
                          "SECURE_HSTS_SECONDS": "31536000",
                          "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
                          "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
                          "TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.10",
                          "CSRF_TRUSTED_ORIGINS": "https://helpdesk.example.com"})
    assert values[:7] == [True, 31536000, True, True, ("HTTP_X_FORWARDED_PROTO", "https"),
                          ["10.0.0.0/8", "192.0.2.10/32"], ["https://helpdesk.example.com"]]


def test_scheme_header_trust_can_be_turned_off_in_production():
    assert settings_of({**DOCUMENTED, "SECURE_PROXY_SSL_HEADER": ""})[4] is None


def test_embedded_site_url_host_is_allowed():
    values = settings_of({"SITE_URL": "http://192.0.2.44:8123"})
    assert values[7] == "http://192.0.2.44:8123"
    assert "192.0.2.44" in values[8]


def test_a_misspelt_profile_refuses_to_start():
    result = manage_check({"HELPDESK_PROFILE": "prod"})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "helpdesk: HELPDESK_PROFILE='prod' is not a profile (embedded or production); "
        "refusing to start rather than guess"]


def test_make_run_passes_its_host_and_port_as_site_url():
    result = subprocess.run(["make", "-n", "run", "HOST=192.0.2.44", "PORT=8123"],
                            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    runserver = [line for line in result.stdout.splitlines() if "runserver" in line]
    assert runserver and "SITE_URL=http://192.0.2.44:8123" in runserver[0]
    assert "runserver 192.0.2.44:8123" in runserver[0]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/healthz/", "/readyz/"])
def test_health_checks_are_exempt_from_the_ssl_redirect(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code != 301
    redirected = client.get("/accounts/login/")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")


@pytest.fixture
def behind_a_proxy(settings):
    from ipaddress import ip_network

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.1/32")]
    return settings


@pytest.mark.django_db
def test_the_scheme_header_is_believed_only_from_a_trusted_proxy(client, behind_a_proxy):
    """A client reaching gunicorn around the proxy cannot claim https (and so skip the
    redirect and have credentials sent over plain HTTP)."""
    login = "/accounts/login/"
    assert client.get(login, REMOTE_ADDR="127.0.0.1",
                      HTTP_X_FORWARDED_PROTO="https").status_code == 200
    direct = client.get(login, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert direct.status_code == 301 and direct["Location"].startswith("https://")


@pytest.mark.django_db
def test_without_trusted_proxies_the_scheme_header_setting_alone_decides(client,
                                                                         behind_a_proxy):
    behind_a_proxy.TRUSTED_PROXIES = []
    assert client.get("/accounts/login/", REMOTE_ADDR="203.0.113.9",
                      HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_web_and_smtp_listen_on_loopback_unless_told_otherwise(tmp_path):
    """deploy/bin/web and deploy/bin/smtp run with a PYTHON that only records its arguments."""
    record = tmp_path / "argv"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    fake.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "PYTHON": str(fake)}
    for script in ("deploy/bin/web", "deploy/bin/smtp"):
        subprocess.run([script], cwd=settings.BASE_DIR, env=env, check=True, timeout=60)
    served = [line for line in record.read_text().splitlines() if "check" not in line]
    assert "--bind 127.0.0.1:8000" in served[0]
    assert "--host 127.0.0.1" in served[1]


def test_no_setting_is_assigned_twice_in_settings_py():
    """One definition each: a second one silently wins (EMAIL_TIMEOUT once had two)."""
    tree = ast.parse((settings.BASE_DIR / "helpdesk" / "settings.py").read_text())
    names = [target.id for node in tree.body if isinstance(node, ast.Assign)
             for target in node.targets if isinstance(target, ast.Name) and target.id.isupper()]
    assert sorted({name for name in names if names.count(name) > 1}) == []
