"""Read-only views of the outbox for operators: what is pending, what was sent."""

from django.contrib import admin

from .models import Heartbeat, OutboxEmail, OutboxTask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "name", "dispatched_at", "done_at", "dispatch_attempts",
                    "last_error")
    list_filter = (("dispatched_at", admin.EmptyFieldListFilter),
                   ("done_at", admin.EmptyFieldListFilter), "name")
    search_fields = ("idempotency_key",)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "to_address", "subject", "sent_at", "failed_at",
                    "send_attempts")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "kind")
    search_fields = ("to_address", "header_message_id")
    exclude = ("body_text", "body_html")  # may hold a password-reset link until sent


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "beat_at")
