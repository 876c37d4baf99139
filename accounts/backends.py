from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from .permission_cache import cached_permissions


class EmailBackend(ModelBackend):
    """Authenticate by email address, case-insensitively; with settings.PERMISSION_CACHE,
    permissions come from the shared cache (accounts.permission_cache) rather than two
    queries per request."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        return super().authenticate(request, username=(email or username or "").strip().lower(),
                                    password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        if not settings.PERMISSION_CACHE:
            return super().get_all_permissions(user_obj, obj)
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            compute = super().get_all_permissions
            user_obj._perm_cache = cached_permissions(
                user_id=user_obj.pk, compute=lambda: compute(user_obj))
        return user_obj._perm_cache
