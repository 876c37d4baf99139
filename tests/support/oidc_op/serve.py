"""`python -m tests.support.oidc_op.serve PORT`: migrate the provider's own SQLite database,
register the helpdesk as a client (tests/support/oidc_provider.py CLIENTS), serve on
127.0.0.1:PORT (Django's threaded development server, no reloader)."""

import json
import os
import sys

import django


def main() -> None:
    port = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oidc_op.settings")
    django.setup()
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for client in json.loads(os.environ["OIDC_OP_CLIENTS"]):
        Application.objects.filter(client_id=client["client_id"]).delete()
        Application.objects.create(
            name=client["client_id"], client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client["post_logout_redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=client["skip_authorization"])
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main()
