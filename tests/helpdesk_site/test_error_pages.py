"""Our 404, 500 and 503 pages: Spanish by default, English by the browser or the language
cookie, styled with the site's stylesheet, no inline style or script, no database query; a
database error wherever it is raised is the 503 with Retry-After. (The database really cut
under gunicorn: tests/e2e/test_postgres_outage.py.)"""

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from helpdesk import errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_settings(settings):
    settings.LANGUAGE_CODE = "es"  # the site's default (the test settings choose en)
    settings.ROOT_URLCONF = "tests.helpdesk_site.error_urls"
    settings.DEBUG = False


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def assert_our_page(response, status: int) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert f'data-error-page="{status}"' in html
    assert "css/site.css" in html
    assert "<style" not in html and "style=" not in html and "<script" not in html
    return html


def test_404_is_ours_in_spanish_without_a_query(browser, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = browser.get("/no-such-page/")
    html = assert_our_page(response, 404)
    assert "Página no encontrada" in html and 'lang="es"' in html


def test_404_in_english_by_the_browsers_language(browser):
    html = assert_our_page(browser.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8"),
                           404)
    assert "Page not found" in html and 'lang="en"' in html


def test_404_in_english_by_the_language_cookie(browser, settings):
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = assert_our_page(browser.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es"), 404)
    assert "Page not found" in html


def test_a_database_error_is_our_503_with_retry_after(browser, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = browser.get("/test-errors/database-down/")
    html = assert_our_page(response, 503)
    assert response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert "Servicio no disponible temporalmente" in html
    assert response["X-Request-ID"] in html  # the reference to quote


def test_a_database_error_behind_another_is_still_the_503(browser):
    response = browser.get("/test-errors/connection-gone/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Service temporarily unavailable" in assert_our_page(response, 503)


@pytest.mark.parametrize(("language", "ask_again"), [
    ("en", "it may not have been saved: please try sending it again"),
    ("es", "es posible que no se haya guardado: vuelva a enviarlo")])
def test_the_503_asks_to_send_again_and_claims_nothing_was_lost(browser, language, ask_again):
    """The POST that got the 503 may well be lost (and a deadlock is not an unreachable
    database): the page says so."""
    response = browser.post("/test-errors/database-down/", HTTP_ACCEPT_LANGUAGE=language)
    html = assert_our_page(response, 503)
    assert ask_again in html
    assert "was lost" not in html and "se ha perdido nada" not in html
    assert "database" not in html and "base de datos" not in html


def test_a_bug_is_our_500(browser):
    response = browser.get("/test-errors/bug/", HTTP_ACCEPT_LANGUAGE="en")
    html = assert_our_page(response, 500)
    assert "Something went wrong" in html and "Retry-After" not in response


def test_the_handlers_make_no_query(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        assert_our_page(errors.page_not_found(request), 404)
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            assert_our_page(errors.server_error(request), 503)
        try:
            raise KeyError("x")
        except KeyError:
            assert_our_page(errors.server_error(request), 500)


def test_a_logged_in_contacts_404_is_in_their_language(client, two_orgs):
    two_orgs.maria.language = "en"
    two_orgs.maria.save(update_fields=["language"])
    client.force_login(two_orgs.maria)
    html = assert_our_page(client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es"), 404)
    assert "Page not found" in html


def test_a_form_without_its_csrf_token_is_our_403_page():
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/accounts/login/", {"username": "a@b.example", "password": "x"})
    html = assert_our_page(response, 403)
    assert "El formulario ha caducado" in html


def test_permission_denied_is_our_403_page(client, two_orgs):
    client.force_login(two_orgs.agent)  # staff, but not in the Agents group
    response = client.get("/admin/tickets/ticket/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Access denied" in assert_our_page(response, 403)


@pytest.mark.parametrize("url", ["/tickets/?q=%00", "/tickets/%00/", "/admin/tickets/ticket/?name=a%00b"])
def test_a_nul_character_is_a_400_before_any_query(url, django_assert_num_queries):
    """PostgreSQL refuses NUL in text: without the guard a NUL reaching a filter was a 500
    there (the admin parameter fuzz found it on /admin/outbox/outboxtask/?name=%00)."""
    with django_assert_num_queries(0):
        response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400
