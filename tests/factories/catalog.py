from catalog.models import Department


def department(code: str) -> Department:
    """A department of the seeded catalogue (migration catalog 0002)."""
    return Department.objects.select_related("product").get(code=code)
