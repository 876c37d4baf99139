"""The agent desk in a real Chromium against the live server with the demo data: a newcomer
(agent@helpdesk.example) works a ticket end to end with the keyboard alone — opens the
unassigned ticket, claims it, replies with a macro, logs 25 minutes, moves it to FreePBX
commercial modules choosing "EndPoint Manager", and releases a quarantined email onto it —
at 1280 and 1024 px, in English and Spanish, with no horizontal scroll, no console error
(a CSP refusal is one) and screenshots saved under var/screenshots/desk/."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from mailgateway import services as mail_services
from mailgateway.models import InboundMessage
from tests.factories.mailgateway import raw_email
from tickets import desk_services
from tickets.models import Macro, Message, Ticket, TimeEntry

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "desk"


@pytest.fixture
def desk_world(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    agent = User.objects.get(email="agent@helpdesk.example")
    desk_services.macro_save(macro=Macro(
        title="Queue configured", body="We configured the sales queue as asked.",
        status=Ticket.Status.WAITING_CUSTOMER, priority=Ticket.Priority.HIGH), actor=agent)
    row, _created = mail_services.inbound_message_store(
        raw=raw_email(from_addr="pedro@unknown-sender.example", subject="Queue logs",
                      body="Here are the queue logs you asked for."),
        source=InboundMessage.Source.PIPE)
    mail_services.inbound_message_process(inbound_id=row.pk)
    assert InboundMessage.objects.get(pk=row.pk).status == InboundMessage.Status.QUARANTINED
    return agent


class Errors(list):
    """Console errors and failed responses. On the SQLite pass only, a 503 of a polled
    partial (counts, live) is left out: the live server's shared in-memory SQLite answers
    "table is locked" to a read that meets another request's write (the next poll asks
    again); the PostgreSQL pass keeps every error."""

    def append(self, item: str) -> None:
        from django.db import connection

        polled = "status of 503" in item or (item.startswith("503 ") and (
            "/counts/" in item or "/live/" in item))
        if not (polled and connection.vendor == "sqlite"):
            super().append(item)


def _watch(page) -> list[str]:
    errors: list[str] = Errors()
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    return errors


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _key(page, key: str) -> None:
    page.keyboard.press(key)


def _keys_then_load(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.parametrize("width,language", [(1280, "en"), (1024, "es"), (1280, "es"),
                                            (1024, "en")])
def test_keyboard_only_journey(browser, live_server, desk_world, width, language):
    agent = desk_world
    agent.language = language
    agent.save(update_fields=["language"])
    maria_ticket = Ticket.objects.get(requester__email="maria@acme.example")
    page = browser.new_page(viewport={"width": width, "height": 800}, locale=language)
    errors = _watch(page)
    base, tag = live_server.url, f"{width}-{language}"

    page.goto(f"{base}/admin/login/?next=/admin/desk/%3Fview%3Dunassigned")
    page.fill("input[name=username]", agent.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/admin/desk/" in page.url
    _no_horizontal_scroll(page)
    _shot(page, f"queue-{tag}")

    # j until María's FreePBX ticket is selected, then Enter opens it beside the list.
    for _ in range(10):
        _key(page, "j")
        if page.locator(".desk-row.is-current").get_attribute("data-ticket") == str(
                maria_ticket.pk):
            break
    _key(page, "Enter")
    page.wait_for_selector(f'.desk-pane[data-ticket="{maria_ticket.pk}"]')
    _no_horizontal_scroll(page)

    # a: assign to me.
    _keys_then_load(page, "a")
    page.wait_for_selector(".desk-pane")
    maria_ticket.refresh_from_db()
    assert maria_ticket.assignee == agent

    # r, then the macro (Shift+Tab to its list, ArrowDown), back to the text, Ctrl+Enter.
    _key(page, "r")
    assert page.evaluate("document.activeElement.name") == "body"
    while page.evaluate("document.activeElement.name") != "macro":
        _key(page, "Shift+Tab")
    _key(page, "ArrowDown")
    while page.evaluate("document.activeElement.name") != "body":
        _key(page, "Tab")
    assert "sales queue" in page.input_value("#desk-reply textarea[name=body]")
    _keys_then_load(page, "Control+Enter")
    maria_ticket.refresh_from_db()
    assert maria_ticket.messages.filter(kind=Message.Kind.AGENT).count() == 1
    assert maria_ticket.priority == Ticket.Priority.HIGH

    # t: 25 minutes, Enter.
    _key(page, "t")
    page.keyboard.type("25")
    _keys_then_load(page, "Enter")
    assert TimeEntry.objects.filter(ticket=maria_ticket, minutes=25).exists()
    _shot(page, f"ticket-{tag}")

    # m: the department; ArrowDown to FreePBX Commercial Modules shows its field and the
    # decision; Tab to the module, ArrowDown to EndPoint Manager; the reason; Enter.
    _key(page, "m")
    _key(page, "ArrowDown")
    page.wait_for_selector("#move-module_licence")
    _key(page, "Tab")
    assert page.evaluate("document.activeElement.id") == "move-module_licence"
    for _ in range(5):
        label = page.evaluate("document.activeElement.selectedOptions[0].text")
        if label.startswith("EndPoint Manager"):
            break
        _key(page, "ArrowDown")
    page.wait_for_selector("#desk-decision.is-ok")
    _no_horizontal_scroll(page)
    _shot(page, f"move-{tag}")
    while page.evaluate("document.activeElement.name") != "reason":
        _key(page, "Tab")
    page.keyboard.type("Pregunta sobre EndPoint Manager")
    _keys_then_load(page, "Enter")
    maria_ticket.refresh_from_db()
    assert maria_ticket.department.code == "freepbx-commercial-modules"
    assert maria_ticket.module_licence.module_name == "EndPoint Manager"

    # q: the quarantine; j, Enter opens the email; r: the ticket number; Enter releases it.
    _keys_then_load(page, "q")
    _no_horizontal_scroll(page)
    _key(page, "j")
    _keys_then_load(page, "Enter")
    _shot(page, f"quarantine-{tag}")
    _key(page, "r")
    page.keyboard.type(f"[#{maria_ticket.number}]")
    _keys_then_load(page, "Enter")
    assert maria_ticket.messages.filter(body__contains="queue logs").exists()
    assert f'data-ticket="{maria_ticket.pk}"' in page.content()

    # ?: the shortcuts.
    _key(page, "?")
    assert page.locator("#desk-help").is_visible()
    _shot(page, f"help-{tag}")
    _key(page, "Escape")
    assert not page.locator("#desk-help").is_visible()

    # n: an internal note; Esc leaves the field; /: the search; e: resolve.
    _key(page, "n")
    assert page.evaluate("document.activeElement.name") == "body"
    assert page.is_checked("#desk-reply input[name=kind][value=note]")
    _key(page, "Escape")
    _key(page, "/")
    assert page.evaluate("document.activeElement.id") == "desk-search"
    _key(page, "Escape")
    _keys_then_load(page, "e")
    maria_ticket.refresh_from_db()
    assert maria_ticket.status == Ticket.Status.RESOLVED
    assert not errors, errors


@pytest.mark.parametrize("width", [1280, 1024])
def test_collision_notice_and_live_messages(browser, live_server, desk_world, width):
    from tests.factories import StaffFactory
    from tests.tickets.agent_setup import make_agent

    other = make_agent(StaffFactory(email="bea@helpdesk.example", full_name="Bea Agent"))
    other.set_password(DEMO_PASSWORD)
    other.save()
    ticket = Ticket.objects.get(requester__email="maria@acme.example")
    pages = []
    for user in (desk_world, other):
        page = browser.new_context(viewport={"width": width, "height": 800},
                                   locale="en-US").new_page()
        _watch(page)
        page.goto(f"{live_server.url}/admin/login/?next=/admin/desk/ticket/{ticket.pk}/")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        pages.append(page)
    alex, bea = pages
    bea.focus("#desk-reply textarea[name=body]")
    bea.keyboard.type("Working on it")
    alex.wait_for_selector("text=Bea Agent is typing a reply on this ticket.", timeout=15000)
    bea.wait_for_selector("text=Alex Agent also has this ticket open.", timeout=15000)
    # A new customer message appears on both pages without a reload.
    from tickets import services

    services.ticket_reply_create(ticket=ticket, author=ticket.requester,
                                 body="The queue still rings only one phone")
    alex.wait_for_selector("text=The queue still rings only one phone", timeout=15000)
    alex.wait_for_selector("text=The customer wrote a new message.")
    _no_horizontal_scroll(alex)
    _shot(alex, f"collision-{width}")


@pytest.mark.parametrize("width,language", [(1280, "es"), (1024, "en")])
def test_preview_merge_and_discard(browser, live_server, desk_world, width, language):
    from tests.factories import TicketFactory

    agent = desk_world
    agent.language = language
    agent.save(update_fields=["language"])
    maria_ticket = Ticket.objects.get(requester__email="maria@acme.example")
    duplicate = TicketFactory.create(requester=maria_ticket.requester,
                                     department_code="sipstation-general",
                                     subject="Same question again")
    page = browser.new_page(viewport={"width": width, "height": 800}, locale=language)
    errors = _watch(page)
    base, tag = live_server.url, f"{width}-{language}"
    page.goto(f"{base}/admin/login/?next=/admin/desk/ticket/{duplicate.pk}/")
    page.fill("input[name=username]", agent.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The email as María will get it (in her language), before anything is sent.
    page.fill("#desk-reply textarea[name=body]", "Lo revisamos <hoy>.")
    page.click("#desk-reply button[hx-post]")
    page.wait_for_selector("#desk-email")
    preview = page.inner_text("#desk-email")
    assert f"[#{duplicate.number}]" in preview and "Lo revisamos <hoy>." in preview
    assert duplicate.messages.count() == 1  # nothing sent
    _no_horizontal_scroll(page)
    _shot(page, f"preview-{tag}")

    # Merge into María's other ticket: the page lands on the survivor.
    assert maria_ticket.number in page.inner_text("#desk-other-tickets")
    page.fill("#desk-merge input[name=number]", maria_ticket.number)
    with page.expect_navigation():
        page.click("#desk-merge button[type=submit]")
    assert f'data-ticket="{maria_ticket.pk}"' in page.content()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == maria_ticket
    assert maria_ticket.messages.count() == 2  # its own and the merged ticket's

    # The quarantined email: discarded with a reason.
    page.goto(f"{base}/admin/desk/quarantine/")
    with page.expect_navigation():
        page.click(".desk-row-link")
    page.fill("#quarantine-discard input[name=reason]", "Spam")
    with page.expect_navigation():
        page.click("#quarantine-discard button[type=submit]")
    assert not InboundMessage.objects.filter(status=InboundMessage.Status.QUARANTINED).exists()
    assert "Spam" in InboundMessage.objects.get().reason
    _no_horizontal_scroll(page)
    assert not errors, errors


def test_a_tickets_own_page_brings_its_rows_and_a_long_conversation_on_demand(
        browser, live_server, desk_world):
    """Opened by its link, a ticket's page asks for the queue's rows as it loads and marks
    the ticket's row; a long ticket shows its newest messages and the earlier ones on a
    click, under the CSP, without a console error."""
    from desk.views import CONVERSATION_SHOWN
    from tickets import services

    ticket = Ticket.objects.get(requester__email="maria@acme.example")
    for i in range(CONVERSATION_SHOWN + 3):
        services.ticket_reply_create(ticket=ticket, author=ticket.requester,
                                     body=f"Update number {i:02d}")
    first = ticket.messages.order_by("created_at", "id").first()
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en")
    errors = _watch(page)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/desk/ticket/{ticket.pk}/%3Fview%3Dall")
    page.fill("input[name=username]", desk_world.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector(f'.desk-row.is-current[data-ticket="{ticket.pk}"]')
    assert page.locator(".desk-row").count() >= 2  # the other demo tickets beside it
    assert f"Update number {CONVERSATION_SHOWN + 2:02d}" in page.inner_text("#desk-ticket")
    assert first.body not in page.inner_text("#desk-ticket")
    page.click("#desk-earlier a")
    page.wait_for_selector(f"#message-{first.pk}")
    assert page.locator("#desk-earlier").count() == 0  # nothing older is left
    _key(page, "j")  # the keyboard works on the rows that came in afterwards
    assert page.locator(".desk-row.is-current").count() == 1
    _no_horizontal_scroll(page)
    _shot(page, "long-ticket-1280")
    assert not errors, errors
