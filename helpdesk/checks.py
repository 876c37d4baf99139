"""The project's own system checks.

`manage.py check --deploy` runs the deploy ones beside Django's (the documented production
environment passes all of them: README, Production; `make check-deploy` in CI). The
deploy/bin scripts refuse to start web, worker or beat on any error among them."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

NOT_DELIVERING_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "helpdesk.mail_backends.EmlFileBackend",
    "anymail.backends.test.EmailBackend",
)


def host_allowed(host: str, allowed_hosts: list[str]) -> bool:
    """ALLOWED_HOSTS' matching, for a host name without port: "*" allows any, ".example.com"
    example.com and its subdomains, anything else that exact name (case and a trailing dot
    ignored)."""
    host = host.lower().rstrip(".")
    for pattern in (p.lower().rstrip(".") for p in allowed_hosts):
        if pattern == "*" or host == pattern.lstrip(".") or (
                pattern.startswith(".") and host.endswith(pattern)):
            return True
    return False


@register(Tags.security, deploy=True)
def site_url_check(app_configs, **kwargs):
    """Email links point at SITE_URL: it must be https and a host this site answers to."""
    issues = []
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme != "https":
        issues.append(Warning(
            f"SITE_URL ({settings.SITE_URL!r}) is not https: links in emails would send "
            "customers to the site over plain HTTP.",
            hint="Set SITE_URL to the public https:// address of the site.",
            id="helpdesk.W001"))
    if not parts.hostname or not host_allowed(parts.hostname, settings.ALLOWED_HOSTS):
        issues.append(Error(
            f"SITE_URL's host ({parts.hostname!r}) is not in ALLOWED_HOSTS "
            f"({', '.join(settings.ALLOWED_HOSTS)}): links in emails would be refused.",
            hint="Make SITE_URL and ALLOWED_HOSTS name the same public host.",
            id="helpdesk.E002"))
    return issues


@register(Tags.security, deploy=True)
def email_backend_check(app_configs, **kwargs):
    if settings.EMAIL_BACKEND in NOT_DELIVERING_BACKENDS:
        return [Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}, which never delivers mail.",
            hint="Use an anymail.backends.* backend or "
                 "django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST.",
            id="helpdesk.E003")]
    return []


@register(Tags.security, deploy=True)
def webhook_secret_check(app_configs, **kwargs):
    secret = (settings.ANYMAIL or {}).get("WEBHOOK_SECRET")
    if settings.MAIL_WEBHOOKS_ENABLED and not secret:
        return [Error(
            "MAIL_WEBHOOKS_ENABLED is on but ANYMAIL has no WEBHOOK_SECRET: the inbound "
            "webhooks are not mounted (without a secret they would accept anyone).",
            hint='Set ANYMAIL=\'{"WEBHOOK_SECRET": "user:long-random", ...}\' or turn '
                 "MAIL_WEBHOOKS_ENABLED off.",
            id="helpdesk.E004")]
    return []


@register(Tags.security, deploy=True)
def webhook_providers_check(app_configs, **kwargs):
    """With the webhooks on: at least one provider, and each one's anymail settings present
    (anymail answers 500 to every request of a provider it has no settings for)."""
    if not settings.MAIL_WEBHOOKS_ENABLED:
        return []
    providers = list(getattr(settings, "MAIL_WEBHOOK_PROVIDERS", []))
    if not providers:
        return [Error(
            "MAIL_WEBHOOKS_ENABLED is on but MAIL_WEBHOOK_PROVIDERS names no provider: no "
            "inbound webhook is mounted.",
            hint="Set MAIL_WEBHOOK_PROVIDERS to the ESP(s) in use, e.g. postmark.",
            id="helpdesk.E030")]
    return [Error(f"The {provider} inbound webhook is not configured: {problem}",
                  hint="Add the provider's webhook settings to ANYMAIL (see django-anymail's "
                       "documentation for the ESP) or remove it from MAIL_WEBHOOK_PROVIDERS.",
                  id="helpdesk.E031")
            for provider, problem in webhook_provider_problems(providers)]


def webhook_provider_problems(providers) -> list[tuple[str, str]]:
    """(provider, problem) for each provider whose anymail webhook views cannot be built."""
    from django.core.exceptions import ImproperlyConfigured

    from mailgateway.urls import provider_of, provider_patterns

    problems = []
    for pattern in provider_patterns(providers):
        view = pattern.callback
        try:
            view.view_class(**view.view_initkwargs)
        except ImproperlyConfigured as error:
            problem = (provider_of(pattern), " ".join(str(error).split())[:300])
            if problem not in problems:
                problems.append(problem)
    return problems


@register(Tags.security, deploy=True)
def debug_check(app_configs, **kwargs):
    if settings.DEBUG:
        return [Error("DEBUG is on: error pages would show settings and source code.",
                      hint="Unset DEBUG.", id="helpdesk.E005")]
    return []


@register(deploy=True)
def tasks_check(app_configs, **kwargs):
    """Tasks run by a worker through a broker, never in the web process."""
    broker = settings.CELERY_BROKER_URL or ""
    if settings.CELERY_TASK_ALWAYS_EAGER or broker.startswith("memory://"):
        return [Error(
            "Celery tasks run in the web process (CELERY_TASK_ALWAYS_EAGER or an in-memory "
            "broker): mail and inbound processing would block requests and be lost on errors.",
            hint="Set REDIS_URL and unset CELERY_TASK_ALWAYS_EAGER.", id="helpdesk.E006")]
    return []


@register(deploy=True)
def database_check(app_configs, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith(("postgresql", "postgis")):
        return [Error(f"The database is {engine!r}; production runs on PostgreSQL.",
                      hint="Set DATABASE_URL=postgres://…", id="helpdesk.E007")]
    return []


@register(Tags.security, deploy=True)
def oidc_check(app_configs, **kwargs):
    """Sign-in with the customer portal: every endpoint over https (the code, the client
    secret and the tokens cross them)."""
    if not settings.OIDC_ENABLED:
        return []
    plain = [name for name in ("OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT",
                               "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT",
                               "OIDC_OP_JWKS_ENDPOINT", "OIDC_OP_END_SESSION_ENDPOINT")
             if getattr(settings, name) and urlsplit(getattr(settings, name)).scheme != "https"]
    if plain:
        return [Error(f"{', '.join(plain)} not https: the portal sign-in's code, client "
                      "secret and tokens would cross the network in clear.",
                      hint="Use the portal's https:// endpoints (manage.py oidc_discover).",
                      id="helpdesk.E008")]
    return []
