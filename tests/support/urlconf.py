"""Reload the URL configuration after changing a setting it reads at import time (e.g.
MAIL_WEBHOOKS_ENABLED, which decides whether the anymail webhooks are mounted)."""

from __future__ import annotations

import importlib
import sys

from django.urls import clear_url_caches

MODULES = ("mailgateway.urls", "helpdesk.urls")


def reload_urlconf() -> None:
    for name in MODULES:
        if name in sys.modules:
            importlib.reload(sys.modules[name])
    clear_url_caches()
