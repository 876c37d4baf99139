"""What the production profile needs before it starts, and how it refuses to start.

Imported by helpdesk/settings.py before anything else is configured: plain Python, no Django.
The production profile (HELPDESK_PROFILE=production) never falls back to the embedded
default's SQLite database, in-process tasks or .eml files: a variable it needs that is unset
(or empty) stops the process with one line on stderr naming every missing variable, and
exit status 4 (no traceback): gunicorn's APP_LOAD_ERROR, so a bare `gunicorn
helpdesk.wsgi` halts ("App failed to load") instead of re-forking workers forever;
manage.py, celery and the deploy/bin scripts exit 4 too.

HELPDESK_BUILD_STATIC=1 is the image build's switch: production settings without secrets or
services, for `collectstatic` only (any other command is refused, so the switch left set at
run time can never serve with a throwaway key).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS",
                          "SITE_URL", "EMAIL_BACKEND")
WEBHOOK_SECRET_NAME = "ANYMAIL WEBHOOK_SECRET"
WEBHOOK_PROVIDERS_NAME = "MAIL_WEBHOOK_PROVIDERS"
# django-anymail's webhook providers (the first path segment of its URLs; a test keeps the
# list equal to anymail.urls).
KNOWN_WEBHOOK_PROVIDERS = ("amazon_ses", "brevo", "mailersend", "mailgun", "mailjet",
                           "mailtrap", "mandrill", "postal", "postmark", "resend", "sendgrid",
                           "sendinblue", "sparkpost", "unisender_go")
UNKNOWN_PROVIDER = ("helpdesk: MAIL_WEBHOOK_PROVIDERS: {names} is not an anymail webhook "
                    "provider (one or more of {known}, comma-separated)")
BUILD_STATIC_COMMANDS = ("collectstatic",)
PROFILES = ("embedded", "production")

REFUSAL = ("helpdesk: the production profile (HELPDESK_PROFILE=production) refuses to start: "
           "missing {names} (see the README's production section)")
BUILD_REFUSAL = ("helpdesk: HELPDESK_BUILD_STATIC=1 is only for `manage.py collectstatic` at "
                 "image build time; unset it to run anything else")
UNKNOWN_PROFILE = ("helpdesk: HELPDESK_PROFILE={profile!r} is not a profile (embedded or "
                   "production); refusing to start rather than guess")
TRUE_WORDS = ("1", "true", "yes", "on")
INVALID = "helpdesk: {name} is not a valid value ({problem}); see the README's production section"
# gunicorn's Arbiter.APP_LOAD_ERROR: a worker exiting with it halts the whole server.
REFUSAL_EXIT_STATUS = 4


def refuse(line: str) -> NoReturn:
    """Stop the start-up: the line on stderr, exit status 4, no traceback."""
    print(line, file=sys.stderr, flush=True)
    raise SystemExit(REFUSAL_EXIT_STATUS)


def _set(environ: Mapping[str, str], name: str) -> bool:
    return bool(environ.get(name, "").strip())


def webhook_secret(environ: Mapping[str, str]) -> str:
    """ANYMAIL's WEBHOOK_SECRET from the ANYMAIL JSON ("" when unset or not JSON: the
    settings then fail on the JSON themselves)."""
    try:
        anymail = json.loads(environ.get("ANYMAIL", "") or "{}")
    except ValueError:
        return ""
    secret = anymail.get("WEBHOOK_SECRET", "") if isinstance(anymail, dict) else ""
    return secret if isinstance(secret, str) else ",".join(secret or [])


def webhook_provider_names(environ: Mapping[str, str]) -> list[str]:
    """MAIL_WEBHOOK_PROVIDERS as given: lower-cased names, in order, without repeats."""
    names = [name.strip().lower()
             for name in environ.get(WEBHOOK_PROVIDERS_NAME, "").split(",") if name.strip()]
    return list(dict.fromkeys(names))


def webhook_providers(environ: Mapping[str, str]) -> list[str]:
    """The ESPs whose inbound webhooks may be mounted (MAIL_WEBHOOK_PROVIDERS, e.g.
    "postmark" or "mailgun,postmark"); a name anymail does not know stops the start-up with
    one line rather than silently mounting nothing."""
    names = webhook_provider_names(environ)
    unknown = [name for name in names if name not in KNOWN_WEBHOOK_PROVIDERS]
    if unknown:
        refuse(UNKNOWN_PROVIDER.format(names=", ".join(unknown),
                                       known=", ".join(KNOWN_WEBHOOK_PROVIDERS)))
    return names


def webhooks_enabled(environ: Mapping[str, str]) -> bool:
    """MAIL_WEBHOOKS_ENABLED when set; otherwise on exactly when a webhook secret or a
    provider is set."""
    value = environ.get("MAIL_WEBHOOKS_ENABLED", "").strip().lower()
    if value:
        return value in TRUE_WORDS
    return bool(webhook_secret(environ) or webhook_provider_names(environ))


def production_missing(environ: Mapping[str, str]) -> list[str]:
    """The names the production profile needs and does not have, in a stable order. With the
    webhooks on, a secret (never "accept anyone") and the providers to mount."""
    missing = [name for name in REQUIRED_IN_PRODUCTION if not _set(environ, name)]
    if webhooks_enabled(environ):
        if not webhook_secret(environ):
            missing.append(WEBHOOK_SECRET_NAME)
        if not webhook_provider_names(environ):
            missing.append(WEBHOOK_PROVIDERS_NAME)
    return missing


def build_static(environ: Mapping[str, str]) -> bool:
    return environ.get("HELPDESK_BUILD_STATIC", "").strip().lower() in TRUE_WORDS


def refusal(environ: Mapping[str, str], argv: Sequence[str]) -> str | None:
    """The one line the process exits with, or None when it may start."""
    if build_static(environ):
        # The command itself (argv[1]), not a word anywhere on the line.
        command = argv[1] if len(argv) > 1 else ""
        return None if command in BUILD_STATIC_COMMANDS else BUILD_REFUSAL
    missing = production_missing(environ)
    return REFUSAL.format(names=", ".join(missing)) if missing else None


def profile_checked(profile: str) -> str:
    """The profile; a misspelt one (e.g. "prod") stops the start-up instead of silently
    running the embedded default."""
    if profile not in PROFILES:
        refuse(UNKNOWN_PROFILE.format(profile=profile))
    return profile


def refuse_or_continue(environ: Mapping[str, str], argv: Sequence[str] | None = None) -> None:
    """Exit with the refusal line (status 4, no traceback) when production cannot start."""
    line = refusal(environ, sys.argv if argv is None else argv)
    if line:
        refuse(line)


def networks(items: Sequence[str], *, name: str) -> list:
    """Addresses and CIDRs as ip_network objects; a wrong one stops the start-up with one line."""
    from ipaddress import ip_network

    parsed = []
    for item in items:
        try:
            parsed.append(ip_network(item.strip(), strict=False))
        except ValueError:
            refuse(f"helpdesk: {name}: {item!r} is not an IP address or network "
                   "(e.g. 10.0.0.0/8, 192.0.2.10)")
    return parsed


def proxy_ssl_header(items: Sequence[str]) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from "HEADER,value" (None when empty); anything else stops the
    start-up with one line rather than silently trusting no header."""
    items = [item.strip() for item in items if item.strip()]
    if not items:
        return None
    if len(items) != 2 or not items[0].startswith("HTTP_"):
        refuse("helpdesk: SECURE_PROXY_SSL_HEADER must be HEADER,value "
               f"(e.g. HTTP_X_FORWARDED_PROTO,https), not {','.join(items)!r}")
    return items[0], items[1]


OIDC_REQUIRED = ("OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                 "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT")
OIDC_REFUSAL = ("helpdesk: sign-in with the customer portal (OIDC_RP_CLIENT_ID is set) needs "
                "{names} (see the README's \"Sign-in with the customer portal\")")


def oidc_check(environ: Mapping[str, str]) -> None:
    """With OIDC_RP_CLIENT_ID set, the issuer and the provider's endpoints are required: a
    half-configured sign-in stops the start-up with one line rather than failing at login."""
    missing = [name for name in OIDC_REQUIRED if not _set(environ, name)]
    if missing:
        refuse(OIDC_REFUSAL.format(names=", ".join(missing)))


def choice(value: str, *, name: str, choices: Sequence[str]) -> str:
    """One of `choices`; anything else stops the start-up with one line."""
    value = value.strip().lower()
    if value not in choices:
        refuse(f"helpdesk: {name} must be one of {', '.join(choices)}, not {value!r}")
    return value
