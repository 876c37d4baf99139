"""The ESP inbound webhooks exist only when enabled AND a WEBHOOK_SECRET is set: an unset
secret never means "accept anyone"."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.support.urlconf import reload_urlconf

URL = "/mail/anymail/mailgun/inbound_mime/"
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


def test_enabled_without_a_secret_is_not_mounted(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=True, ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": "k"})
    assert client.post(URL, {}).status_code == 404


def test_disabled_with_a_secret_is_not_mounted(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=False, ANYMAIL={"WEBHOOK_SECRET": "u:p"})
    assert client.post(URL, {}).status_code == 404


def test_enabled_with_a_secret_is_mounted_and_asks_for_it(client, mounted_with):
    mounted_with(MAIL_WEBHOOKS_ENABLED=True, ANYMAIL={"WEBHOOK_SECRET": "u:p",
                                                      "MAILGUN_WEBHOOK_SIGNING_KEY": "k"})
    response = client.post(URL, {})
    assert response.status_code in (400, 401)
