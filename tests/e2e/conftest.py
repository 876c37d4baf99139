"""A real Chromium for the browser tests (Playwright, sync API)."""

import pytest

from tests.support.procs import require_chromium

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def browser(monkeypatch):
    """A launched Chromium (skips, or fails under CI=true, without Chromium/Playwright)."""
    chromium = require_chromium()
    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by the
    # test itself between browser steps) refuses that unless told it is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
