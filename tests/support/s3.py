"""A real S3 server for integration tests: moto's standalone server (`moto.server`, the
`moto_server` command) on a free port of this machine, with one bucket."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .procs import Processes, port_open, wait_until

ACCESS_KEY_ID = "scaleout-test-key"
SECRET_ACCESS_KEY = "scaleout-test-secret"
REGION = "us-east-1"


def moto_server_installed() -> bool:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return False
    return True


class S3Server:
    """`start()` runs the server under `processes` and creates the bucket; `env` is what a
    process needs to store its attachments there (the names the settings read)."""

    def __init__(self, processes: Processes, *, bucket: str, workdir: Path):
        from .procs import free_port

        self.processes = processes
        self.bucket = bucket
        self.workdir = workdir
        self.port = free_port()
        self.process = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_STORAGE_BUCKET_NAME": self.bucket, "AWS_S3_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
                "AWS_S3_REGION_NAME": REGION}

    def start(self, *, timeout_seconds: float = 60) -> S3Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        self.process = self.processes.start(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, name="moto-s3", cwd=self.workdir)
        wait_until(lambda: port_open(self.port) or self.process.poll() is not None,
                   timeout=timeout_seconds, what="moto's S3 server")
        if self.process.poll() is not None:
            raise AssertionError(f"moto_server exited: {self.process.log_path.read_text()}")
        self.client().create_bucket(Bucket=self.bucket)
        return self

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY_ID,
                            aws_secret_access_key=SECRET_ACCESS_KEY)

    def keys(self) -> list[str]:
        """Every object key in the bucket."""
        keys: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys.extend(item["Key"] for item in page.get("Contents", ()))
        return keys

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
