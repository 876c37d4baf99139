"""Fixtures of the scale-out test: the cluster of hosts (see cluster.py)."""

from __future__ import annotations

import pytest

from helpdesk.celery import app as celery_app
from tests.support.procs import Processes, S3Server, wait_until

from .cluster import Cluster, broker_clean


@pytest.fixture(scope="package")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two Celery workers on hosts of their own, the S3 server, and (started by the tests
    that need them) web processes and an SMTP listener. Stopped at the end."""
    root = tmp_path_factory.mktemp("scaleout")
    processes = Processes(root / "logs")
    s3 = S3Server(root / "logs")
    eager = celery_app.conf.task_always_eager
    # The test process never queues by accident (its fixtures' emails are sent in-process):
    # everything the workers run comes from a host's intake.
    celery_app.conf.task_always_eager = True
    broker_clean()
    try:
        s3.start()
        group = Cluster(root=root, processes=processes, s3=s3,
                        bucket=s3.bucket_create("helpdesk-scaleout"))
        group.start_worker()
        group.start_worker()
        yield group
    finally:
        processes.stop_all()
        s3.stop()
        broker_clean()
        celery_app.conf.task_always_eager = eager


@pytest.fixture
def two_workers(cluster):
    """Two live workers at the start of the test (a test may kill one)."""
    for host in cluster.workers:
        if host.process.poll() is not None:
            cluster.start_worker(host)
    broker_clean()
    cluster.storage_clear()
    for host in cluster.workers:
        host.logs_mark()
    yield cluster
    # Quiet before the test database is flushed: nothing queued, nothing running.
    broker_clean()
    try:
        wait_until(cluster.workers_idle, timeout=60, interval=0.5, what="the workers to go idle")
    finally:
        broker_clean()


@pytest.fixture
def two_webs(two_workers):
    """Two web processes (gunicorn) on hosts of their own, beside the two workers."""
    cluster = two_workers
    while len(cluster.webs) < 2:
        cluster.start_web()
    return cluster
