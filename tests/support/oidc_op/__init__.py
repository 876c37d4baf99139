"""A small, real OpenID Connect provider for the tests (django-oauth-toolkit): the vendor's
customer portal as the helpdesk sees it. Run as its own process by
tests/support/oidc_provider.py; its people (and how it misbehaves for one of them) are read
from people.json in its directory on every request."""
