"""Account security in the admin: failed logins and lockouts (with an unlock action) and
the rest of the security audit trail. Read-only; registered from accounts/admin.py."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from . import services, throttle
from .models import SecurityEvent

UNLOCKED = _("%(n)s address and client pairs unlocked.")


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "email", "ip", "locked", "user_agent", "actor")
    list_filter = ("kind",)
    search_fields = ("email", "ip")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ("unlock",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("accounts.change_user")  # for the unlock action only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description=_("locked now"), boolean=True)
    def locked(self, obj):
        if obj.kind not in (SecurityEvent.Kind.LOGIN_FAILED, SecurityEvent.Kind.LOGIN_LOCKED):
            return None
        return throttle.login_is_throttled(email=obj.email, ip=obj.ip)

    @admin.action(description=_("Unlock these addresses from these clients"))
    def unlock(self, request, queryset):
        if not request.user.has_perm("accounts.change_user"):
            raise PermissionDenied
        pairs = {(e.email, e.ip) for e in queryset if e.email}
        for email, ip in sorted(pairs):
            services.login_unlock(email=email, ip=ip, actor=request.user)
        self.message_user(request, UNLOCKED % {"n": len(pairs)}, messages.SUCCESS)
