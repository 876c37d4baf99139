"""Shared fixtures: two organizations with their contacts, and an agent."""

import os
from dataclasses import dataclass

import pytest

# Staff logins need a second factor (accounts/two_factor.py); tests that are not about it
# sign staff in without one, in this process and in the servers they start (which inherit
# this environment). tests/accounts/test_two_factor*.py turn the requirement on.
os.environ.setdefault("TWO_FACTOR_REQUIRED", "false")

from accounts.models import Organization, User
from tests.factories import OrganizationFactory, StaffFactory, UserFactory
from tests.factories.accounts import PASSWORD
from tests.support.oidc_provider import oidc_provider  # noqa: F401 (session fixture)


@pytest.fixture(autouse=True)
def _fresh_configuration_memo():
    """A test's catalogue, service levels and webhooks are its own: the memo of the
    previous test (whose rows were rolled back) is forgotten."""
    from catalog import config_memo

    config_memo.reset()
    yield
    config_memo.reset()


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests assert English texts unless they choose a language (the site's default is es).
    settings.LANGUAGE_CODE = "en"
    settings.TWO_FACTOR_REQUIRED = False


@dataclass
class TwoOrgs:
    acme: Organization
    globex: Organization
    maria: User  # Acme organization admin
    juan: User  # Acme contact
    ana: User  # Globex organization admin
    agent: User
    password: str = PASSWORD


@pytest.fixture
def two_orgs(db) -> TwoOrgs:
    acme = OrganizationFactory(name="Acme Telecom")
    globex = OrganizationFactory(name="Globex Networks")
    return TwoOrgs(
        acme=acme, globex=globex,
        maria=UserFactory(email="maria@acme.example", organization=acme,
                          role=User.Role.ORG_ADMIN, full_name="María García"),
        juan=UserFactory(email="juan@acme.example", organization=acme, full_name="Juan Pérez"),
        ana=UserFactory(email="ana@globex.example", organization=globex,
                        role=User.Role.ORG_ADMIN, full_name="Ana Souza"),
        agent=StaffFactory(email="agent@helpdesk.example", full_name="Alex Agent"),
    )


def pytest_collection_modifyitems(items):
    """Every transactional test restores the seeded data (catalogue, content types) after
    its flush: mixing flushed-with-post_migrate tests and serialized_rollback tests makes
    the latter fail on PostgreSQL with duplicate content types."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = kwargs.get("transaction") or "transactional_db" in item.fixturenames \
            or "live_server" in item.fixturenames
        if transactional and not kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(**{**kwargs, "transaction": True,
                                                      "serialized_rollback": True}))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One moto S3 server for the session (tests/support/procs.py S3Server)."""
    from tests.support.procs import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3-logs")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings) -> str:
    """A new, private bucket on the S3 server, and the attachments stored in it (the
    STORAGES entry the settings build from AWS_STORAGE_BUCKET_NAME and friends)."""
    from helpdesk.storage_config import s3_storage

    bucket = s3_server.bucket_create()
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        bucket_name=bucket, endpoint_url=s3_server.endpoint_url,
        access_key=s3_server.access_key, secret_key=s3_server.secret_key,
        region_name=s3_server.region, connect_timeout_seconds=2, read_timeout_seconds=5,
        max_attempts=1)}
    return bucket


@pytest.fixture
def processes(tmp_path):
    """Child processes of the test (tests/support/procs.py Processes), logs under
    tmp_path/logs; every one still running is stopped at the end."""
    from tests.support.procs import Processes

    group = Processes(tmp_path / "logs")
    yield group
    group.stop_all()


@pytest.fixture
def private_redis(tmp_path):
    """A started redis-server of the test's own that it may stop and start (PrivateRedis);
    skips, or fails under CI=true, without redis-server."""
    from tests.support.procs import PrivateRedis, require_redis_server

    require_redis_server()
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
