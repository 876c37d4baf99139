"""Reads of the catalogue."""

from __future__ import annotations

from . import config_memo
from .models import Department, DepartmentField


def _submittable() -> dict[str, tuple[Department, tuple[DepartmentField, ...]]]:
    departments = (Department.objects.select_related("product")
                   .filter(is_active=True, product__is_active=True))
    fields: dict[int, list[DepartmentField]] = {}
    for field in DepartmentField.objects.filter(department__in=departments).order_by(
            "department_id", "position", "id"):
        fields.setdefault(field.department_id, []).append(field)
    return {d.code: (d, tuple(fields.get(d.pk, ()))) for d in departments}


def department_submittable(*, code: str) -> Department | None:
    """The active department of an active product with this code (None: no such one), from
    the configuration memo: no query while the catalogue is unchanged. Shared by the
    process's requests: read it, never change it."""
    if not config_memo.enabled():
        return (Department.objects.select_related("product")
                .filter(code=code, is_active=True, product__is_active=True).first())
    found = config_memo.memoized("catalog:submittable", _submittable).get(code)
    return found[0] if found else None


def department_fields(*, department: Department) -> list[DepartmentField]:
    """The department's form fields in order (memoized with the department when it is
    submittable; read otherwise)."""
    if config_memo.enabled():
        found = config_memo.memoized("catalog:submittable", _submittable).get(department.code)
        if found is not None and found[0].pk == department.pk:
            return list(found[1])
    return list(department.fields.order_by("position", "id"))
