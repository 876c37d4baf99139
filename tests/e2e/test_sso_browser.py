"""The issue's browser journey in a real Chromium: María, on the helpdesk's login page, chooses
"Sign in with the portal", signs in on the provider's own login page (the test provider of
tests/support/oidc_provider.py, a real django-oauth-toolkit in its own process) and lands on
My Tickets of the live server."""

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_maria_signs_in_through_the_portal(browser, live_server, two_orgs, oidc_provider,
                                           settings):
    for name, value in oidc_provider.rp_settings().items():
        setattr(settings, name, value)
    password = oidc_provider.person_add("maria", email="maria@acme.example",
                                        email_verified=True, name="María García")
    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("[data-sso]")
    page.wait_for_url(f"{oidc_provider.base_url}/login/**")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "My Tickets", page.inner_text("main")
    assert page.locator(".nav-user").get_attribute("title") == "maria@acme.example"
