"""Support calendars and service-level policies (targets by priority), attached to
contract plans, to customers without a contract and to free departments."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import calendar as cal

UNKNOWN_TIME_ZONE = _("Unknown time zone: %(zone)s.")
HOURS_ORDER = _("Closing time must be after opening time.")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(UNKNOWN_TIME_ZONE, params={"zone": value}, code="time_zone")


class SupportCalendar(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Madrid",
                                 validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]
        verbose_name = _("support calendar")
        verbose_name_plural = _("support calendars")

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def schedule(self) -> cal.Schedule:
        """The calendar as `sla.calendar.Schedule` (two queries unless prefetched)."""
        weekly: dict[int, list] = {}
        for h in self.hours.all():
            weekly.setdefault(h.weekday, []).append((h.opens_at, h.closes_at))
        return cal.Schedule(time_zone=self.time_zone,
                            weekly={k: tuple(v) for k, v in weekly.items()},
                            holidays=frozenset(d.date for d in self.holidays.all()))


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CalendarHours(models.Model):
    calendar = models.ForeignKey(SupportCalendar, on_delete=models.CASCADE, related_name="hours",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["calendar", "weekday", "opens_at"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")),
                                   name="sla_hours_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(HOURS_ORDER)


class Holiday(models.Model):
    calendar = models.ForeignKey(SupportCalendar, on_delete=models.CASCADE,
                                 related_name="holidays", verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SlaPolicy(models.Model):
    """Targets for one kind of customer. No targets at all: best effort."""

    class Scope(models.TextChoices):
        PLAN = "plan", _("Customers with a contract of the plan")
        NO_CONTRACT = "no_contract", _("Customers without a contract")
        FREE = "free", _("Free departments")

    name = models.CharField(_("name"), max_length=120, unique=True)
    scope = models.CharField(_("applies to"), max_length=12, choices=Scope.choices)
    contract_plan = models.OneToOneField("entitlements.ContractPlan", on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="sla_policy",
                                         verbose_name=_("contract plan"))
    # Empty: calendar hours (24x7).
    calendar = models.ForeignKey(SupportCalendar, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="policies",
                                 verbose_name=_("business hours"),
                                 help_text=_("Empty: targets count calendar hours, 24×7."))
    raise_priority_on_breach = models.BooleanField(_("raise the priority on breach"),
                                                   default=False)
    reassign_on_breach_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", limit_choices_to={"is_staff": True},
        verbose_name=_("reassign on breach to"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(scope="plan", contract_plan__isnull=False)
                           | (~models.Q(scope="plan") & models.Q(contract_plan__isnull=True))),
                name="sla_policy_plan_scope"),
            models.UniqueConstraint(fields=["scope"], condition=~models.Q(scope="plan"),
                                    name="sla_policy_one_default_per_scope"),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets",
                               verbose_name=_("policy"))
    # The ticket priorities (tickets.Ticket.Priority): 1 low .. 4 urgent.
    priority = models.PositiveSmallIntegerField(_("priority"), choices=[
        (1, _("Low")), (2, _("Normal")), (3, _("High")), (4, _("Urgent"))])
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"),
                                                         null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"),
                                                        null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True,
                                                     blank=True)

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"],
                                    name="sla_target_per_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"
