"""Create a personal access token for a user (a billing system's staff account, a smoke
test, a curl session) and print it once; the same as the profile page's "Create token":

    manage.py create_api_token --email billing@helpdesk.example --name "ERP" --scope billing
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import api_tokens
from accounts.exceptions import AccountsError
from accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create a personal access token for the API and print it (shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", action="append", dest="scopes",
                            choices=ApiToken.Scope.values, required=True)

    def handle(self, *args, email: str, name: str, scopes: list[str], **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user has the address {email!r}.")
        try:
            _token, secret = api_tokens.api_token_create(user=user, name=name, scopes=scopes)
        except AccountsError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(secret)
