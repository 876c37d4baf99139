"""Throttles: per token (each token its own budget), per signed-in user (a session), per
client address (anonymous). A refused request is a 429 with Retry-After (DRF). Counters
live in settings.API_THROTTLE_CACHE (Redis in production); while that cache is unreachable
requests are let through (accounts.cache_guard), never refused with a 500."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from accounts import cache_guard
from accounts.client_ip import client_ip
from accounts.models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def __init__(self):
        super().__init__()
        alias = settings.API_THROTTLE_CACHE
        self.cache = caches[alias if alias in settings.CACHES else "default"]

    def allow_request(self, request, view):
        try:
            return cache_guard.guarded(lambda: super(ApiRateThrottle, self).allow_request(
                request, view))
        except cache_guard.CacheUnavailable:
            return True

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiUserRateThrottle(ApiRateThrottle):
    """All of one user's tokens and sessions together."""

    scope = "api_user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
