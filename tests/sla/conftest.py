import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User

MEXICO = ZoneInfo("America/Mexico_City")


@dataclass
class Clock:
    now: dt.datetime

    def advance(self, **kwargs) -> dt.datetime:
        self.now += dt.timedelta(**kwargs)
        return self.now

    def set(self, *args) -> dt.datetime:
        self.now = dt.datetime(*args, tzinfo=MEXICO)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock: Monday 7 December 2026, 17:30 in the support team's time zone."""
    frozen = Clock(dt.datetime(2026, 12, 7, 17, 30, tzinfo=MEXICO))
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def demo(db, clock):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    return {u.email.split("@")[0]: u for u in User.objects.all()}
