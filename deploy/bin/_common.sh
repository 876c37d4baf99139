# Sourced by every deploy/bin script: run from the project root with the right Python.
# PYTHON: the interpreter (the image's venv python by default; tests pass their own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PYTHON="${PYTHON:-python}"
export PYTHONUNBUFFERED=1

# The processes' own settings (not Django's: helpdesk/settings.py never reads them), with
# their defaults in this one place; the scripts and deploy/healthcheck.py read them from here.
export WEB_BIND="${WEB_BIND:-127.0.0.1:8000}"
export WORKER_NAME="${WORKER_NAME:-celery@%h}"
export BEAT_SCHEDULE_FILE="${BEAT_SCHEDULE_FILE:-${HELPDESK_VAR_DIR:-var}/celerybeat-schedule}"
export BEAT_STALE_SECONDS="${BEAT_STALE_SECONDS:-900}"
export SMTP_BIND_HOST="${SMTP_BIND_HOST:-127.0.0.1}"
export SMTP_PORT="${SMTP_PORT:-2525}"

# Refuse to start on any error of `check --deploy` (missing settings stop earlier, in the
# settings, with one line). Warnings are printed and do not stop the start.
preflight() {
  "$PYTHON" manage.py check --deploy --fail-level ERROR >&2
}
