"""Mounted at /mail/: the ESP inbound webhooks of django-anymail.

e.g. POST /mail/anymail/mailgun/inbound_mime/, /mail/anymail/postmark/inbound/ …
"""

from django.urls import include, path

app_name = "mailgateway"
urlpatterns = [
    path("anymail/", include("anymail.urls")),
]
