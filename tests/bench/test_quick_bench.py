"""`make bench --quick` end to end: gunicorn, a Celery worker, the SMTP listener, PostgreSQL
and Redis, in a scratch database dropped afterwards. Asserts that every figure is printed,
once, in the documented shape, that no request failed and every reply was threaded; never
how fast anything is. Runs on the PostgreSQL pass (DATABASE_URL=postgres://…, REDIS_URL);
there, with CI=true, it never skips."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest

from tests.support.procs import ROOT, require_redis

pytestmark = pytest.mark.integration

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
FIGURES = [
    "bare_view_per_s", "trivial_view_anon_per_s", "trivial_view_user_per_s",
    "agent_queue_p50_ms", "agent_queue_p95_ms",
    *[f"desk_{page}_{stat}" for page in ("views", "department", "filtered", "counts", "overview",
                                         "search_number", "search_words", "search_email",
                                         "ticket", "long_ticket") for stat in ("p50_ms", "p95_ms")],
    "my_tickets_p50_ms", "my_tickets_p95_ms",
    *[f"submit{size}_{worker}_{stat}" for worker in ("noworker", "worker")
      for size in ("", "_100k") for stat in ("per_s", "p50_ms", "p99_ms")],
    "inbound_replies_per_s",
]
LINE = re.compile(r"^(?P<name>[a-z0-9_]+) (?P<value>[0-9]+\.[0-9])(?P<fields>( [a-z_0-9]+=\S+)*)"
                  r" load=(?P<load>[0-9.]+,[0-9.]+,[0-9.]+)$")


if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    # The SQLite pass (CI=true too): the PostgreSQL pass runs it, and there it never skips.
    pytest.skip("the bench needs PostgreSQL (DATABASE_URL); the PostgreSQL pass runs it",
                allow_module_level=True)
require_redis(REDIS_URL)


def _fields(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split())


def test_the_quick_bench_prints_every_figure_once():
    database = f"bench_quicktest_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL}
    env.pop("TEST_DATABASE_NAME", None)
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--database", database, "--drop-database"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == FIGURES, done.stdout
    for line in lines:
        match = LINE.match(line)
        assert match, line
        fields = _fields(match["fields"])
        assert fields.get("errors", "0") == "0", line
        if match["name"].endswith("_per_s"):
            assert float(match["value"]) > 0, line
    inbound = _fields(LINE.match(lines[-1])["fields"])
    assert inbound["threaded"] == inbound["n"] == "40"
    submit = _fields(LINE.match(next(x for x in lines if x.startswith("submit_worker_per_s")))
                     ["fields"])
    assert int(submit["mails"]) > 0  # the worker sent confirmations during the run
    import psycopg2

    with psycopg2.connect(DATABASE_URL) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [database])
        assert cur.fetchone()[0] == 0, "the scratch database is dropped"
