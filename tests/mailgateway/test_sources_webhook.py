"""ESP inbound webhook (Mailgun raw MIME through django-anymail): secret and signature."""

import base64
import hashlib
import hmac
import time

import pytest
from django.test import override_settings

from mailgateway.models import InboundMessage
from tests.support.urlconf import reload_urlconf

pytestmark = pytest.mark.django_db

URL = "/mail/anymail/mailgun/inbound_mime/"
SIGNING_KEY = "key-test-signing"
RAW = (b"From: Maria <maria@acme.example>\r\nTo: support@helpdesk.example\r\n"
       b"Subject: Re: [#ABC-123-45678] Audio\r\nMessage-ID: <hook-1@acme.example>\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n\r\nGracias, ya funciona.\r\n")


@pytest.fixture(autouse=True)
def anymail_settings():
    """Webhooks enabled with a secret: mounted (the URL configuration is reloaded)."""
    with override_settings(ANYMAIL={"WEBHOOK_SECRET": "hookuser:s3cret-hook",
                                    "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY},
                           MAIL_WEBHOOKS_ENABLED=True,
                           MAIL_WEBHOOK_PROVIDERS=["mailgun", "postmark"]):
        reload_urlconf()
        yield
    reload_urlconf()


def auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def signed(key: str = SIGNING_KEY) -> dict:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": signature}


def post(client, *, secret="hookuser:s3cret-hook", key=SIGNING_KEY, raw=RAW):
    data = {"body-mime": raw.decode(), "sender": "maria@acme.example",
            "recipient": "support@helpdesk.example", **signed(key)}
    return client.post(URL, data, HTTP_AUTHORIZATION=auth(secret))


def test_valid_webhook_stores_the_raw_message_and_queues_it(client, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("mailgateway.tasks.process_inbound.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    assert response.status_code == 200
    row = InboundMessage.objects.get()
    assert row.source == InboundMessage.Source.WEBHOOK
    assert row.header_message_id.strip("<>") == "hook-1@acme.example"
    assert b"Gracias, ya funciona." in bytes(row.raw)
    assert queued == [row.pk]


def test_same_webhook_delivered_twice_is_stored_once(client, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    monkeypatch.setattr("mailgateway.tasks.process_inbound.delay", lambda _id: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client).status_code == 200
        assert post(client).status_code == 200
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize("secret,key", [
    ("hookuser:wrong", SIGNING_KEY),        # bad webhook secret (basic auth)
    ("hookuser:s3cret-hook", "forged-key"),  # good secret, bad ESP signature
])
def test_bad_secret_or_signature_gets_4xx_and_stores_nothing(client, secret, key):
    response = post(client, secret=secret, key=key)
    assert 400 <= response.status_code < 500
    assert InboundMessage.objects.count() == 0


def test_no_credentials_at_all_gets_4xx(client):
    response = client.post(URL, {"body-mime": RAW.decode()})
    assert 400 <= response.status_code < 500
    assert InboundMessage.objects.count() == 0


def test_get_changes_nothing(client):
    assert client.get(URL, HTTP_AUTHORIZATION=auth("hookuser:s3cret-hook")).status_code == 405
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize("secret,status", [("hookuser:s3cret-hook", 200), ("hookuser:nope", 400)])
def test_postmark_raw_email_webhook_is_protected_by_the_secret(client, monkeypatch, secret, status,
                                                               django_capture_on_commit_callbacks):
    monkeypatch.setattr("mailgateway.tasks.process_inbound.delay", lambda _id: None)
    payload = {"RecordType": "Inbound", "RawEmail": RAW.decode(), "Headers": []}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mail/anymail/postmark/inbound/", payload,
                               content_type="application/json", HTTP_AUTHORIZATION=auth(secret))
    assert response.status_code == status
    assert InboundMessage.objects.count() == (1 if status == 200 else 0)
