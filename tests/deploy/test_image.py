"""What the image and the compose file are made of (docker cannot run here): the build-time
collectstatic runs for real; the Dockerfile, .dockerignore and docker-compose.yml are read."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys

import yaml
from django.conf import settings

from tests.deploy.test_startup import CLEARED

ROOT = settings.BASE_DIR
APP_SERVICES = ("web", "worker", "beat", "smtp")


def test_build_time_collectstatic_writes_the_production_manifest(tmp_path):
    """The Dockerfile's step: production settings, no secrets, no services."""
    static_root = tmp_path / "static"
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    result = subprocess.run(
        ["deploy/bin/collectstatic"], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**base, "PYTHON": sys.executable, "HELPDESK_PROFILE": "production",
             "HELPDESK_BUILD_STATIC": "1", "STATIC_ROOT": str(static_root),
             "HELPDESK_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    assert (static_root / hashed).exists() and (static_root / f"{hashed}.gz").exists()


# --- .dockerignore (Docker's rules: the last matching pattern wins, "!" re-includes, a
# pattern that matches a directory excludes everything under it) ---------------------------

def _dockerignore() -> list[tuple[bool, str]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
    return rules


def _matches(pattern: str, path: str) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    if pattern.startswith("**/"):
        tail = pattern[3:]
        return any(fnmatch.fnmatchcase(part, tail) for part in parts) or \
            any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)


def excluded(path: str) -> bool:
    result = False
    for include, pattern in _dockerignore():
        if _matches(pattern, path):
            result = not include
    return result


def test_dockerignore_keeps_secrets_venvs_data_and_caches_out():
    for path in (".env", ".env.production", "deploy/.env", ".venv/bin/python",
                 "var/helpdesk.sqlite3", "var/mail/outbox/1.eml", "var/media/a.pdf", ".git/HEAD",
                 ".pytest_cache/v/x", "tests/__pycache__/x.pyc", "helpdesk/x.pyc",
                 ".ruff_cache/x", ".hypothesis/examples/x", "bench/out/result.txt"):
        assert excluded(path), path


def test_dockerignore_keeps_what_the_image_needs():
    for path in ("manage.py", "pyproject.toml", "helpdesk/settings.py", "deploy/bin/web",
                 "deploy/healthcheck.py", "locale/es/LC_MESSAGES/django.mo",
                 "static/css/site.css", "templates/base.html",
                 "deploy/production.env.example"):
        assert not excluded(path), path


# --- Dockerfile ----------------------------------------------------------------------------

def _stages() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    return re.split(r"^FROM ", text, flags=re.M)[1:]


def test_dockerfile_is_multi_stage_and_the_final_stage_has_no_compilers():
    builder, final = _stages()
    assert builder.startswith("python:3.11-slim AS builder")
    assert "pip wheel" in builder
    assert final.startswith("python:3.11-slim\n")
    for tool in ("build-essential", "gcc", "libpq-dev", "apt-get install"):
        assert tool not in final
    assert "--no-index --find-links /wheels" in final


def test_dockerfile_runs_as_helpdesk_and_collects_with_the_production_storage():
    final = _stages()[1]
    assert re.search(r"^USER helpdesk$", final, flags=re.M)
    assert final.index("USER helpdesk") > final.index("deploy/bin/collectstatic")
    assert "HELPDESK_PROFILE=production" in final
    assert "HELPDESK_BUILD_STATIC=1 deploy/bin/collectstatic" in final
    assert "staticfiles.json" in final
    assert re.search(r'^CMD \["deploy/bin/web"\]$', final, flags=re.M)
    # The switch is given to the one RUN, never left in the image's environment.
    assert not re.search(r"^ENV[^\n]*HELPDESK_BUILD_STATIC", final, flags=re.M)


# --- docker-compose.yml --------------------------------------------------------------------

def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_services_each_with_a_health_check():
    services = _compose()["services"]
    for name in (*APP_SERVICES, "postgres", "redis", "s3"):
        assert name in services, name
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["restart"] == "no"
    assert services["s3-bucket"]["restart"] == "no"


def test_compose_runs_the_deploy_scripts_and_stores_attachments_in_s3():
    services = _compose()["services"]
    for name in APP_SERVICES:
        assert services[name]["command"] == [f"deploy/bin/{name}"]
        assert services[name]["healthcheck"]["test"] == ["CMD", "deploy/bin/healthcheck", name]
        env = services[name]["environment"]
        assert env["HELPDESK_PROFILE"] == "production"
        for key in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME"):
            assert key in env, (name, key)
    assert services["migrate"]["command"] == ["deploy/bin/migrate"]
    assert "appendonly" in " ".join(services["redis"]["command"])


def test_compose_smtp_starts_with_up_and_listens_on_localhost_only():
    services = _compose()["services"]
    assert "profiles" not in services["smtp"]
    assert services["smtp"]["ports"] == ["127.0.0.1:2525:2525"]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_compose_holds_no_secret():
    text = (ROOT / "docker-compose.yml").read_text()
    for line in text.splitlines():
        if re.match(r"\s*\w*(PASSWORD|SECRET|TOKEN|KEY)\w*\s*:", line):
            value = line.split(":", 1)[1].strip()
            assert value.startswith("${"), line
    for user, password in re.findall(r"://(\w+):([^@\s]+)@", text):
        assert password.startswith("${"), (user, password)
    assert "SECRET_KEY" not in text
    env_file = _compose()["x-app"]["env_file"]
    assert env_file == [{"path": ".env", "required": True}]


def test_the_image_compiles_every_package_of_the_project():
    """Every project app (and helpdesk/) is byte-compiled at build time: the image runs as a
    user that cannot write its __pycache__ (read-only /app)."""
    from django.apps import apps

    local = {config.name.split(".")[0] for config in apps.get_app_configs()
             if (ROOT / config.name.split(".")[0]).is_dir()}
    line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines()
                if "compileall" in line)
    assert local - set(line.split()) == set()
