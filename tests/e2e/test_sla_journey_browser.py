"""Issue 12's journey in a real Chromium, on a frozen clock (Monday 7 December 2026, 17:30
in the support team's time zone): María opens a FreePBX configuration ticket and is told
"by Tuesday 16:30" (8 business hours); the agent's queue shows it at risk at 14:30 and
breached at 16:30, when the beat job emails the agent once; the agent replies and
resolves; María rates it "good"; the manager's report shows one breached first response
and one good rating."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from outbox.models import OutboxEmail
from tests.e2e.test_customer_browser import _log_in
from tickets.models import Ticket
from tickets.sla_warnings import sla_warnings_run

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
MEXICO = ZoneInfo("America/Mexico_City")


class FrozenClock:
    def __init__(self):
        self.now = dt.datetime(2026, 12, 7, 17, 30, tzinfo=MEXICO)

    def set(self, *args):
        self.now = dt.datetime(*args, tzinfo=MEXICO)


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_sla_journey(browser, live_server, monkeypatch):
    clock = FrozenClock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    call_command("load_demo", stdout=open("/dev/null", "w"))
    Ticket.objects.all().delete()  # the demo's own tickets: the figures below are María's
    base = live_server.url

    # --- María (Spanish, Mexico City) opens the ticket on Monday 17:30 -----------------
    maria = browser.new_context(locale="es-MX").new_page()
    _log_in(maria, base, "maria@acme.example", DEMO_PASSWORD)
    maria.goto(f"{base}/tickets/new/freepbx-configuration/")
    maria.fill("input[name=subject]", "Colas de llamadas para ventas")
    maria.fill("textarea[name=message]", "Necesitamos una cola nueva.")
    submit(maria, "form.form button[type=submit]")
    number = maria.locator("[data-ticket-number]").inner_text().strip()
    maria.goto(f"{base}/tickets/{number}/")
    aim = maria.locator("[data-reply-aim]").inner_text()
    assert aim == "Intentaremos responder antes del martes 16:30 (su hora).", aim
    ticket = Ticket.objects.get(number=number)

    # --- the agent's queue: on track, then at risk at 75 % (Tuesday 14:30) -------------
    agent = browser.new_context(locale="en-US").new_page()
    _log_in(agent, base, "agent@helpdesk.example", DEMO_PASSWORD)
    row = f".desk-row[data-ticket='{ticket.pk}'] .desk-due"
    clock.set(2026, 12, 8, 14, 29)
    agent.goto(f"{base}/admin/desk/?view=all&due=any")
    assert agent.locator(row).get_attribute("data-due") == "on_track"
    agent.goto(f"{base}/admin/desk/?view=all&due=soon")
    assert agent.locator(row).count() == 0
    clock.set(2026, 12, 8, 14, 30)
    agent.goto(f"{base}/admin/desk/?view=all&due=soon")
    assert agent.locator(row).get_attribute("data-due") == "at_risk"
    assert sla_warnings_run() == {"at_risk": 1, "breached": 0}

    def warned(kind):
        return [e.to_address for e in OutboxEmail.objects.filter(
            kind=f"sla_{kind}", subject__contains=number)]

    assert warned("at_risk") == ["agent@helpdesk.example"] and warned("breached") == []

    # --- breached at 16:30: the beat job emails the agent once --------------------------
    clock.set(2026, 12, 8, 16, 30)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 1}
    clock.set(2026, 12, 8, 16, 35)
    assert sla_warnings_run() == {"at_risk": 0, "breached": 0}
    assert warned("breached") == ["agent@helpdesk.example"]
    agent.goto(f"{base}/admin/desk/?view=all&due=breached")
    assert agent.locator(row).get_attribute("data-due") == "breached"

    # --- the agent replies, then resolves -----------------------------------------------
    clock.set(2026, 12, 8, 16, 40)
    agent.goto(f"{base}/admin/desk/ticket/{ticket.pk}/")
    agent.fill("#desk-reply textarea[name=body]", "Hemos creado la cola de ventas.")
    submit(agent, "#desk-send")
    agent.select_option("#desk-update select[name=status]", "resolved")
    submit(agent, "#desk-update-save")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED

    # --- María rates it "good" from her ticket page (the link needs no login) -----------
    maria.goto(f"{base}/tickets/{number}/")
    href = maria.locator("[data-rate=good]").get_attribute("href")
    anonymous = browser.new_context(locale="es-MX").new_page()
    anonymous.goto(base + href)
    assert anonymous.locator("[data-rating]").get_attribute("data-rating") == "good"

    # --- the manager's reports -----------------------------------------------------------
    manager = browser.new_context(locale="en-US").new_page()
    _log_in(manager, base, "admin@helpdesk.example", DEMO_PASSWORD)
    query = "?date_from=2026-12-07&date_to=2026-12-08"
    manager.goto(f"{base}/admin/reports/sla-compliance/{query}")
    cells = [c.inner_text() for c in manager.locator("#report-table tbody tr td").all()]
    assert cells[2:] == ["Soporte Estándar", "1", "0", "1", "0.0"], cells
    assert manager.locator("svg.report-chart").count() == 1
    manager.goto(f"{base}/admin/reports/satisfaction/{query}")
    rows = [r.inner_text().split("\t") for r in manager.locator("#report-table tbody tr").all()]
    assert rows[0][1:] == ["1", "0", "100.0"], rows
