"""Mounted at /mail/: the ESP inbound webhooks of django-anymail.

e.g. POST /mail/anymail/mailgun/inbound_mime/, /mail/anymail/postmark/inbound/ …

Mounted only when settings.MAIL_WEBHOOKS_ENABLED and ANYMAIL has a WEBHOOK_SECRET (the basic
auth every ESP posts with): without a secret anymail would accept anyone, so the URLs do not
exist at all (404). Only the providers in settings.MAIL_WEBHOOK_PROVIDERS are mounted: the
others answer 404 (not anymail's 500 for a provider it has no settings for). Decided when the
URL configuration is loaded.
"""

from django.conf import settings
from django.urls import include, path


def webhooks_mounted() -> bool:
    secret = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET")
    return bool(settings.MAIL_WEBHOOKS_ENABLED and secret)


def provider_of(pattern) -> str:
    """The provider of one of anymail's URL patterns (its first path segment)."""
    return str(pattern.pattern).lstrip("^").split("/", 1)[0]


def provider_patterns(providers) -> list:
    from anymail.urls import urlpatterns

    wanted = set(providers)
    return [pattern for pattern in urlpatterns if provider_of(pattern) in wanted]


def webhook_urlpatterns() -> list:
    providers = getattr(settings, "MAIL_WEBHOOK_PROVIDERS", [])
    if not webhooks_mounted() or not providers:
        return []
    return [path("anymail/", include((provider_patterns(providers), "anymail")))]


app_name = "mailgateway"
urlpatterns = webhook_urlpatterns()
