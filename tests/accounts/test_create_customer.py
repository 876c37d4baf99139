"""manage.py create_customer: a customer contact and its organization, password from the
environment (never the command line)."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization, User

pytestmark = pytest.mark.django_db


def test_creates_the_contact_and_the_organization(monkeypatch):
    monkeypatch.setenv("HELPDESK_CUSTOMER_PASSWORD", "Customer-pass-2468")
    call_command("create_customer", email="Nina@Example.COM", organization="Initech",
                 create_organization=True, full_name="Nina N", org_admin=True, confirmed=True)
    user = User.objects.get(email="nina@example.com")
    assert user.organization == Organization.objects.get(name="Initech")
    assert user.is_org_admin and not user.is_staff
    assert user.check_password("Customer-pass-2468")
    assert not user.needs_details_confirmation


def test_without_a_password_the_contact_uses_forgot_password(monkeypatch):
    monkeypatch.delenv("HELPDESK_CUSTOMER_PASSWORD", raising=False)
    call_command("create_customer", email="tom@example.com", organization="Initech",
                 create_organization=True)
    user = User.objects.get(email="tom@example.com")
    assert not user.has_usable_password()
    assert user.needs_details_confirmation


def test_an_existing_email_is_refused(monkeypatch):
    monkeypatch.delenv("HELPDESK_CUSTOMER_PASSWORD", raising=False)
    call_command("create_customer", email="tom@example.com", organization="Initech",
                 create_organization=True)
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_customer", email="TOM@example.com", organization="Other")


def test_an_unknown_organization_is_refused_without_create_organization(monkeypatch):
    monkeypatch.delenv("HELPDESK_CUSTOMER_PASSWORD", raising=False)
    Organization.objects.create(name="Initech")
    with pytest.raises(CommandError, match="No organization named 'Inittech'"):
        call_command("create_customer", email="tom@example.com", organization="Inittech")
    assert not Organization.objects.filter(name="Inittech").exists()
    assert not User.objects.filter(email="tom@example.com").exists()
    call_command("create_customer", email="tom@example.com", organization=" Initech ")
    assert User.objects.get(email="tom@example.com").organization.name == "Initech"
    assert Organization.objects.count() == 1


@pytest.mark.parametrize("password", ["12345678", "short", "password1", "tom@example.com"])
def test_a_weak_password_is_refused(monkeypatch, password):
    monkeypatch.setenv("HELPDESK_CUSTOMER_PASSWORD", password)
    with pytest.raises(CommandError, match="The password is refused"):
        call_command("create_customer", email="tom@example.com", organization="Initech",
                     create_organization=True)
    assert not User.objects.filter(email="tom@example.com").exists()
    assert not Organization.objects.exists()
