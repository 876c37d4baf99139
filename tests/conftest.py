"""Shared fixtures: two organizations with their contacts, and an agent."""

from dataclasses import dataclass

import pytest

from accounts.models import Organization, User
from tests.factories import OrganizationFactory, StaffFactory, UserFactory
from tests.factories.accounts import PASSWORD


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
