"""Container health checks (deploy/bin/healthcheck web|worker|beat|smtp): exit 0 when healthy,
1 with one line on stderr when not. Standard library only, except `worker`, which asks the
worker itself through the broker (celery inspect ping).

  web     GET http://127.0.0.1:<port of WEB_BIND>/healthz answers 200 (process alive; the
          readiness of the database, Redis and the workers is GET /readyz)
  worker  the worker named WORKER_NAME (celery@<hostname>) answers a ping
  beat    the schedule file (BEAT_SCHEDULE_FILE) was written within BEAT_STALE_SECONDS (900)
  smtp    the listener on SMTP_PORT greets with 220

Why it reads the environment itself (the one exception to "settings are read once, in
helpdesk/settings.py"): these are the deploy/bin processes' own settings (gunicorn's bind,
the worker's node name, beat's schedule file, the SMTP port), which Django never reads; and a
health check must not import the Django settings (slow, and a refused start-up would make
the check fail for the wrong reason). Their defaults live in one place, deploy/bin/_common.sh,
which exports them: run this through deploy/bin/healthcheck, not on its own.
"""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT_SECONDS = 5


class Unset(Exception):
    pass


def _env(name: str) -> str:
    """A value exported by deploy/bin/_common.sh (no second copy of its defaults here)."""
    value = os.environ.get(name, "")
    if not value:
        raise Unset(f"{name} is not set: run deploy/bin/healthcheck, which sets the defaults "
                    "(deploy/bin/_common.sh)")
    return value


def _web() -> str | None:
    port = _env("WEB_BIND").rsplit(":", 1)[-1]
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        return f"web: {url}: {error}"
    return None if status == 200 else f"web: {url} answered {status}"


def _worker() -> str | None:
    name = _env("WORKER_NAME").replace("%h", socket.gethostname())
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "inspect", "ping",
         "--destination", name, "--timeout", str(TIMEOUT_SECONDS)],
        capture_output=True, text=True)
    if result.returncode == 0 and "pong" in result.stdout:
        return None
    return f"worker: {name} did not answer a ping ({(result.stdout + result.stderr).strip()[-200:]})"


def _beat() -> str | None:
    schedule = Path(_env("BEAT_SCHEDULE_FILE"))
    stale_seconds = int(_env("BEAT_STALE_SECONDS"))
    candidates = [p for p in schedule.parent.glob(schedule.name + "*") if p.is_file()]
    if not candidates:
        return f"beat: no schedule file {schedule}"
    age = time.time() - max(p.stat().st_mtime for p in candidates)
    return None if age <= stale_seconds else f"beat: {schedule} not written for {age:.0f} s"


def _smtp() -> str | None:
    port = int(_env("SMTP_PORT"))
    try:
        with smtplib.SMTP(timeout=TIMEOUT_SECONDS) as client:
            code, _ = client.connect("127.0.0.1", port)
            client.quit()
    except (OSError, smtplib.SMTPException) as error:
        return f"smtp: 127.0.0.1:{port}: {error}"
    return None if code == 220 else f"smtp: 127.0.0.1:{port} greeted with {code}"


CHECKS = {"web": _web, "worker": _worker, "beat": _beat, "smtp": _smtp}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: deploy/bin/healthcheck {'|'.join(CHECKS)}", file=sys.stderr)
        return 2
    try:
        problem = CHECKS[argv[0]]()
    except Unset as error:
        print(f"{argv[0]}: {error}", file=sys.stderr)
        return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
