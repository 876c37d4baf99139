from tests.sla.conftest import clock, demo  # noqa: F401 (fixtures)
