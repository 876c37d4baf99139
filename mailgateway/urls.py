"""Mounted at /mail/: the ESP inbound webhooks of django-anymail.

e.g. POST /mail/anymail/mailgun/inbound_mime/, /mail/anymail/postmark/inbound/ …

Mounted only when settings.MAIL_WEBHOOKS_ENABLED and ANYMAIL has a WEBHOOK_SECRET (the basic
auth every ESP posts with): without a secret anymail would accept anyone, so the URLs do not
exist at all (404). Decided when the URL configuration is loaded.
"""

from django.conf import settings
from django.urls import include, path


def webhooks_mounted() -> bool:
    secret = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET")
    return bool(settings.MAIL_WEBHOOKS_ENABLED and secret)


app_name = "mailgateway"
urlpatterns = [path("anymail/", include("anymail.urls"))] if webhooks_mounted() else []
