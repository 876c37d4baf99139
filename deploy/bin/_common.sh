# Sourced by every deploy/bin script: run from the project root with the right Python.
# PYTHON: the interpreter (the image's venv python by default; tests pass their own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PYTHON="${PYTHON:-python}"
export PYTHONUNBUFFERED=1

# Refuse to start on any error of `check --deploy` (missing settings stop earlier, in the
# settings, with one line). Warnings are printed and do not stop the start.
preflight() {
  "$PYTHON" manage.py check --deploy --fail-level ERROR >&2
}
