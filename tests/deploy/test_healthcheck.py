"""deploy/healthcheck.py reads the processes' settings exported by deploy/bin/_common.sh, the
one place of their defaults: the scripts and the health checks cannot disagree."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR
PROCESS_NAMES = ("WEB_BIND", "WORKER_NAME", "BEAT_SCHEDULE_FILE", "BEAT_STALE_SECONDS",
                 "SMTP_BIND_HOST", "SMTP_PORT", "HELPDESK_VAR_DIR", "PYTHON")


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PROCESS_NAMES}
    return {**env, **extra}


def test_the_script_alone_has_no_defaults_of_its_own():
    result = subprocess.run([sys.executable, "deploy/healthcheck.py", "beat"], cwd=ROOT,
                            env=clean_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "BEAT_SCHEDULE_FILE is not set: run deploy/bin/healthcheck" in result.stderr


def test_beat_and_its_health_check_share_the_default_schedule_file(tmp_path):
    record, fake = tmp_path / "argv", tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    fake.chmod(0o755)
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = clean_env(HELPDESK_VAR_DIR=str(var_dir))
    subprocess.run(["deploy/bin/beat"], cwd=ROOT, env={**env, "PYTHON": str(fake)}, check=True,
                   timeout=60)
    beat = next(line for line in record.read_text().splitlines() if " beat " in line).split()
    schedule = beat[beat.index("--schedule") + 1]
    assert schedule == f"{var_dir}/celerybeat-schedule"
    check = lambda: subprocess.run(  # noqa: E731
        ["deploy/bin/healthcheck", "beat"], cwd=ROOT, env={**env, "PYTHON": sys.executable},
        capture_output=True, text=True, timeout=60)
    assert check().returncode == 1  # no schedule file yet
    (var_dir / "celerybeat-schedule").write_bytes(b"")
    result = check()
    assert result.returncode == 0, result.stderr
