"""Create a customer contact in an existing organization (or a new one with
--create-organization), e.g. the first customer of a new installation or a smoke test's:

    HELPDESK_CUSTOMER_PASSWORD=… manage.py create_customer --email maria@acme.example \
        --organization "Acme Telecom" --create-organization --full-name "María García" \
        --org-admin --confirmed

An organization name that does not exist is refused without --create-organization (a typo
must not put the contact in a new tenant of its own). The password must pass
AUTH_PASSWORD_VALIDATORS.

The password is read from HELPDESK_CUSTOMER_PASSWORD (never from the command line, where
other users of the host could read it), else asked for on a terminal; with neither, the
contact gets no usable password and sets one through "forgot password"."""

from __future__ import annotations

import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts import services
from accounts.models import User

PASSWORD_ENV = "HELPDESK_CUSTOMER_PASSWORD"


class Command(BaseCommand):
    help = ("Create a customer contact in an existing organization (--create-organization to "
            f"create it). The password is read from {PASSWORD_ENV} (kept off the command "
            "line), else asked for on a terminal; with neither, the contact sets one through "
            "'forgot password'.")

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--organization", required=True,
                            help="organization name (must exist unless --create-organization)")
        parser.add_argument("--create-organization", action="store_true",
                            help="create the organization when no organization has that name")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--org-admin", action="store_true",
                            help="the organization's admin (credits, all its tickets)")
        parser.add_argument("--confirmed", action="store_true",
                            help="contact details already confirmed (no first-login step)")

    def _password(self) -> str | None:
        password = os.environ.get(PASSWORD_ENV, "")
        if password:
            return password
        if sys.stdin.isatty():
            first, second = getpass.getpass("Password: "), getpass.getpass("Again: ")
            if first != second:
                raise CommandError("The passwords differ.")
            return first or None
        return None

    def handle(self, *args, email, organization, full_name, org_admin, confirmed,
               create_organization, **options):
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"Not an email address: {email!r}") from error
        if User.objects.filter(email__iexact=email.strip()).exists():
            raise CommandError(f"A user with the email {email!r} exists already.")
        password = self._password()
        try:
            user = services.contact_create(
                email=email, password=password, organization_name=organization,
                full_name=full_name, details_confirmed=confirmed,
                create_organization=create_organization,
                role=User.Role.ORG_ADMIN if org_admin else User.Role.CONTACT)
        except services.OrganizationNotFound as error:
            raise CommandError(f"No organization named {str(error)!r}; check the name, or pass "
                               "--create-organization to create it.") from None
        except ValidationError as error:
            raise CommandError("The password is refused: " + " ".join(error.messages)) from None
        how = "with a password" if password else "without a password (use 'forgot password')"
        self.stdout.write(f"Created {user.email} in {user.organization} {how}.")
