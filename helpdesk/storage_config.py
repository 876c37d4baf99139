"""The attachments' store as a STORAGES entry: local disk (the embedded default) or an
S3-compatible object store through django-storages. Used by settings.py (values read from
the environment there) and by the tests that run against a real S3 server."""

from __future__ import annotations


def s3_storage(*, bucket_name: str, endpoint_url: str = "", access_key: str = "",
               secret_key: str = "", region_name: str = "", addressing_style: str = "",
               signed_url_seconds: int = 60, connect_timeout_seconds: float = 5,
               read_timeout_seconds: float = 30, max_attempts: int = 3) -> dict:
    """Private objects (no ACL: the bucket's own, private, policy applies), stored as inert
    downloads (octet-stream, Content-Disposition: attachment) whatever the uploader said,
    keys never overwritten by chance (they are random: no existence check per upload),
    a store that does not answer fails in seconds, not minutes."""
    from botocore.config import Config

    client_config = Config(
        s3={"addressing_style": addressing_style or ("path" if endpoint_url else "auto")},
        signature_version="s3v4", connect_timeout=connect_timeout_seconds,
        read_timeout=read_timeout_seconds,
        retries={"max_attempts": max_attempts, "mode": "standard"})
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket_name,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region_name or None,
            "client_config": client_config,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": signed_url_seconds,
            "file_overwrite": True,
            "object_parameters": {"ContentType": "application/octet-stream",
                                  "ContentDisposition": "attachment"},
            # An S3File read (outbound mail) spools to disk past 2 MB instead of memory.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }

