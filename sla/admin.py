"""Staff screens for support calendars and service-level policies."""

from django.contrib import admin

from .models import CalendarHours, Holiday, SlaPolicy, SlaTarget, SupportCalendar


class CalendarHoursInline(admin.TabularInline):
    model = CalendarHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(SupportCalendar)
class SupportCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")
    search_fields = ("name",)
    inlines = (CalendarHoursInline, HolidayInline)


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "scope", "contract_plan", "calendar", "raise_priority_on_breach")
    list_filter = ("scope",)
    list_select_related = ("contract_plan", "calendar")
    raw_id_fields = ("reassign_on_breach_to",)
    search_fields = ("name",)
    inlines = (SlaTargetInline,)
