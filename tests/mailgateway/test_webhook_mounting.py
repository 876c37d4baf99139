"""The ESP inbound webhooks exist only when enabled AND a WEBHOOK_SECRET is set: an unset
secret never means "accept anyone"; and only for the providers in MAIL_WEBHOOK_PROVIDERS,
every other provider's URL answering 404 (never anymail's 500 for missing settings)."""

from __future__ import annotations

import pytest
from anymail.urls import urlpatterns as anymail_patterns
from django.test import override_settings

from helpdesk import startup
from mailgateway.urls import provider_of
from tests.support.urlconf import reload_urlconf

URL = "/mail/anymail/mailgun/inbound_mime/"
SECRET = {"WEBHOOK_SECRET": "u:p", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def mounted_with():
    contexts = []

    def apply(**overrides):
        context = override_settings(**overrides)
        context.enable()
        contexts.append(context)
        reload_urlconf()

    yield apply
    for context in reversed(contexts):
        context.disable()
    reload_urlconf()


def _example_url(pattern) -> str:
    route = str(pattern.pattern).lstrip("^").rstrip("$").replace("(_mime)?", "")
    return f"/mail/anymail/{route}"


def test_enabled_without_a_secret_is_not_mounted(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=True, MAIL_WEBHOOK_PROVIDERS=["mailgun"],
                 ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": "k"})
    assert client.post(URL, {}).status_code == 404


def test_disabled_with_a_secret_is_not_mounted(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=False, MAIL_WEBHOOK_PROVIDERS=["mailgun"],
                 ANYMAIL=SECRET)
    assert client.post(URL, {}).status_code == 404


def test_no_provider_mounts_nothing(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=True, MAIL_WEBHOOK_PROVIDERS=[], ANYMAIL=SECRET)
    assert client.post(URL, {}).status_code == 404


def test_enabled_with_a_secret_is_mounted_and_asks_for_it(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=True, MAIL_WEBHOOK_PROVIDERS=["mailgun"], ANYMAIL=SECRET)
    response = client.post(URL, {})
    assert response.status_code in (400, 401)


def test_only_the_configured_provider_is_mounted_the_others_are_404(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=True, MAIL_WEBHOOK_PROVIDERS=["mailgun"], ANYMAIL=SECRET)
    others = [p for p in anymail_patterns if provider_of(p) != "mailgun"]
    assert len({provider_of(p) for p in others}) == 13
    for pattern in others:
        url = _example_url(pattern)
        assert client.post(url, {}).status_code == 404, url
        assert client.get(url).status_code == 404, url
    for pattern in anymail_patterns:
        if provider_of(pattern) == "mailgun":
            assert client.post(_example_url(pattern), {}).status_code in (400, 401)


def test_known_providers_are_anymails():
    assert set(startup.KNOWN_WEBHOOK_PROVIDERS) == {provider_of(p) for p in anymail_patterns}
