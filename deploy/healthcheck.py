"""Container health checks (deploy/bin/healthcheck web|worker|beat|smtp): exit 0 when healthy,
1 with one line on stderr when not. Standard library only, except `worker`, which asks the
worker itself through the broker (celery inspect ping).

  web     GET http://127.0.0.1:<port of WEB_BIND>/healthz answers 200 (process alive; the
          readiness of the database, Redis and the workers is GET /readyz)
  worker  the worker named WORKER_NAME (celery@<hostname>) answers a ping
  beat    the schedule file (BEAT_SCHEDULE_FILE) was written within BEAT_STALE_SECONDS (900)
  smtp    the listener on SMTP_PORT greets with 220
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


def _web() -> str | None:
    port = os.environ.get("WEB_BIND", "127.0.0.1:8000").rsplit(":", 1)[-1]
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
    name = os.environ.get("WORKER_NAME", "celery@%h").replace("%h", socket.gethostname())
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "inspect", "ping",
         "--destination", name, "--timeout", str(TIMEOUT_SECONDS)],
        capture_output=True, text=True)
    if result.returncode == 0 and "pong" in result.stdout:
        return None
    return f"worker: {name} did not answer a ping ({(result.stdout + result.stderr).strip()[-200:]})"


def _beat() -> str | None:
    var_dir = os.environ.get("HELPDESK_VAR_DIR", "var")
    schedule = Path(os.environ.get("BEAT_SCHEDULE_FILE", f"{var_dir}/celerybeat-schedule"))
    stale_seconds = int(os.environ.get("BEAT_STALE_SECONDS", "900"))
    candidates = [p for p in schedule.parent.glob(schedule.name + "*") if p.is_file()]
    if not candidates:
        return f"beat: no schedule file {schedule}"
    age = time.time() - max(p.stat().st_mtime for p in candidates)
    return None if age <= stale_seconds else f"beat: {schedule} not written for {age:.0f} s"


def _smtp() -> str | None:
    port = int(os.environ.get("SMTP_PORT", "2525"))
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
    problem = CHECKS[argv[0]]()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
