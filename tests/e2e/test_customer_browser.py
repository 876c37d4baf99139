"""The issue's "Done when" story in a real Chromium (Playwright, sync API) against the
live server: María submits a SIPStation ticket with two attachments, finds the .eml
confirmation, replies, resolves, replies again and sees it reopened; Juan is led to
confirm his details; Ana gets 404 on every URL of María's ticket and its attachments."""

import re
from pathlib import Path

import pytest

NUMBER = re.compile(r"^[A-Z]{3}-\d{3}-\d{5}$")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_customer_story(browser, live_server, two_orgs, settings, tmp_path):
    settings.EMAIL_BACKEND = "helpdesk.mail_backends.EmlFileBackend"
    base = live_server.url

    # --- María submits a SIPStation ticket with two attachments ------------------------
    maria = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = maria.new_page()
    _log_in(page, base, two_orgs.maria.email, two_orgs.password)
    assert page.locator("h1").inner_text() == "My Tickets", page.inner_text("main")
    page.click("text=Submit a Ticket >> visible=true >> nth=0")  # the header folds on phones
    page.click('[data-department="sipstation-general"] a')
    page.fill("input[name=subject]", "One-way audio on calls to mobiles")
    page.fill("textarea[name=message]", "Since Monday callers cannot hear us. <b>not bold</b>")
    page.set_input_files("input[type=file] >> nth=0",
                         _file(tmp_path, "trace.pcap", b"\xd4\xc3\xb2\xa1pcap"))
    page.click("[data-add-file]")  # "Add File": a second input
    page.set_input_files("input[type=file] >> nth=1",
                         _file(tmp_path, "screenshot.png", b"\x89PNG fake"))
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    number = page.locator("[data-ticket-number]").inner_text().strip()
    assert NUMBER.match(number), number

    # --- the confirmation email, written after commit -----------------------------------
    emls = list(Path(settings.MAIL_OUTBOX_DIR).glob("*.eml"))
    assert len(emls) == 1
    raw = emls[0].read_bytes().decode("utf-8", "replace")
    assert re.search(rf"^Subject: \[#{number}\] One-way audio", raw, re.M), raw[:500]
    assert "To: maria@acme.example" in raw

    # --- the ticket page: conversation with both attachments ----------------------------
    page.click("text=View ticket")
    page.wait_for_load_state()
    assert page.url.endswith(f"/tickets/{number}/")
    links = page.locator(".attachments a")
    assert sorted(links.all_inner_texts()) == ["screenshot.png", "trace.pcap"]
    attachment_urls = [base + href for href in
                       (links.nth(i).get_attribute("href") for i in range(links.count()))]
    assert "<b>not bold</b>" in page.locator(".message .body").first.inner_text()
    with page.expect_download() as download:
        links.first.click()
    assert download.value.suggested_filename in {"screenshot.png", "trace.pcap"}

    # --- reply, resolve, reply again: reopened ------------------------------------------
    page.fill("textarea[name=message]", "It also happens on landlines.")
    page.click("#reply button[type=submit]")
    page.wait_for_load_state()
    assert "Your reply was sent." in page.inner_text(".flash")
    assert page.locator(".message").count() == 2
    page.click("text=Mark as resolved")
    page.wait_for_load_state()
    assert page.get_attribute("[data-status]", "data-status") == "resolved"
    page.goto(f"{base}/tickets/resolved/")
    assert number in page.inner_text("main")
    page.goto(f"{base}/tickets/{number}/")
    page.fill("textarea[name=message]", "Sorry, it came back.")
    page.click("#reply button[type=submit]")
    page.wait_for_load_state()
    assert "reopened" in page.inner_text(".flash")
    assert page.get_attribute("[data-status]", "data-status") == "open"
    assert page.locator('[data-event="reopened"]').count() == 1
    page.goto(f"{base}/")
    assert number in page.inner_text("main")
    maria.close()

    # --- Ana (another organization): 404 on every URL of María's ticket -----------------
    ana = browser.new_context()
    page = ana.new_page()
    _log_in(page, base, two_orgs.ana.email, two_orgs.password)
    for url in [f"{base}/tickets/{number}/", f"{base}/tickets/{number}/submitted/",
                f"{base}/api/tickets/{number}/", *attachment_urls]:
        assert page.goto(url).status == 404, url
    token = next(c["value"] for c in ana.cookies() if c["name"] == "csrftoken")
    for action in ("reply", "resolve"):
        response = page.request.post(f"{base}/tickets/{number}/{action}/",
                                     form={"csrfmiddlewaretoken": token, "message": "x"},
                                     headers={"Referer": base + "/"})
        assert response.status == 404, action
    ana.close()

    # --- Juan's first login: confirm the contact details first --------------------------
    two_orgs.juan.details_confirmed_at = None
    two_orgs.juan.save()
    juan = browser.new_context()
    page = juan.new_page()
    _log_in(page, base, two_orgs.juan.email, two_orgs.password)
    assert "/accounts/confirm-details/" in page.url
    page.goto(f"{base}/tickets/new/")
    assert "/accounts/confirm-details/" in page.url
    page.fill("input[name=phone]", "+52 55 5555 0101")
    page.fill("input[name=job_title]", "NOC engineer")
    page.select_option("select[name=time_zone]", "America/Mexico_City")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/tickets/new/")
    assert page.locator('[data-department="sipstation-general"]').count() == 1
    juan.close()
    two_orgs.juan.refresh_from_db()
    assert two_orgs.juan.details_confirmed_at is not None
