"""Demo support calendar and service-level policies of demo-data.md. Idempotent.

"Soporte Estándar": first (and next) response within 8 business hours, Monday to Friday
09:00-18:00 in the support team's time zone; "Soporte Premium": 1 hour, 24x7; customers
without a contract and free departments: best effort (policies without targets).
"""

import datetime as dt

from entitlements.models import ContractPlan

from .models import CalendarHours, SlaPolicy, SlaTarget, SupportCalendar

SUPPORT_TEAM_TIME_ZONE = "America/Mexico_City"
PRIORITIES = (1, 2, 3, 4)


def _targets(policy: SlaPolicy, **minutes) -> None:
    for priority in PRIORITIES:
        SlaTarget.objects.get_or_create(policy=policy, priority=priority, defaults=minutes)


def load() -> dict:
    calendar, created = SupportCalendar.objects.get_or_create(
        name="Equipo de soporte", defaults={"time_zone": SUPPORT_TEAM_TIME_ZONE})
    if created:
        for weekday in range(5):
            CalendarHours.objects.create(calendar=calendar, weekday=weekday,
                                         opens_at=dt.time(9), closes_at=dt.time(18))
    standard_plan = ContractPlan.objects.get(name="Soporte Estándar")
    premium_plan = ContractPlan.objects.get(name="Soporte Premium")
    standard, _ = SlaPolicy.objects.get_or_create(
        name="Soporte Estándar", defaults={"scope": SlaPolicy.Scope.PLAN,
                                           "contract_plan": standard_plan,
                                           "calendar": calendar})
    _targets(standard, first_response_minutes=8 * 60, next_response_minutes=8 * 60)
    premium, _ = SlaPolicy.objects.get_or_create(
        name="Soporte Premium", defaults={"scope": SlaPolicy.Scope.PLAN,
                                          "contract_plan": premium_plan, "calendar": None})
    _targets(premium, first_response_minutes=60, next_response_minutes=4 * 60)
    for name, scope in (("Sin contrato (mejor esfuerzo)", SlaPolicy.Scope.NO_CONTRACT),
                        ("Departamentos gratuitos (mejor esfuerzo)", SlaPolicy.Scope.FREE)):
        if not SlaPolicy.objects.filter(scope=scope).exists():
            SlaPolicy.objects.create(name=name, scope=scope)
    return {"calendar": calendar, "standard": standard, "premium": premium}
