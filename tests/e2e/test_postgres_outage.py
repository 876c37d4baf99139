"""PostgreSQL down: gunicorn (2 workers) and the SMTP listener reach PostgreSQL through a TCP
proxy that is cut. Pages answer our 503 (Spanish by default, English by the browser, the
site's stylesheet, Retry-After), the SMTP listener answers 451 so the sender retries; the
proxy restored, pages answer 200 again and the retried message is stored once. Runs on the
CI PostgreSQL pass; there it never skips."""

from __future__ import annotations

import os
import smtplib

import pytest
from django.conf import settings

from mailgateway.models import InboundMessage
from tests.support.procs import (
    TcpProxy,
    database_url,
    free_port,
    host_env,
    require_postgres,
    wait_until,
)
from tests.support.web import WebClient
from tests.tickets.agent_setup import make_agent

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

require_postgres()

RAW = (b"From: Maria <maria@acme.example>\r\nTo: support@helpdesk.example\r\n"
       b"Subject: Hello while the database is down\r\nMessage-ID: <pg-down-1@acme.example>\r\n"
       b"\r\nPlease call me back.\r\n")


@pytest.fixture
def site(tmp_path, two_orgs, processes):
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    env = host_env(tmp_path, DATABASE_URL=database_url(port=proxy.port), CONN_MAX_AGE="60",
                   REDIS_URL=os.environ.get("REDIS_URL", ""))
    web_port, smtp_port = free_port(), free_port()
    try:
        processes.gunicorn(env=env, port=web_port, workers=2)
        processes.smtp_listener(env=env, port=smtp_port)
        yield f"http://127.0.0.1:{web_port}", smtp_port, proxy, processes
    finally:
        processes.stop_all()
        proxy.close()


def send_mail(smtp_port: int) -> dict:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as client:
        return client.sendmail("maria@acme.example", ["support@helpdesk.example"], RAW)


def assert_our_503(response, *, language: str, heading: str) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Content-Security-Policy"]
    html = response.text
    assert 'data-error-page="503"' in html and f'lang="{language}"' in html
    assert heading in html and "/static/css/site.css" in html
    assert "Server Error (500)" not in html


def test_postgres_down_pages_answer_our_503_and_smtp_answers_4xx(site, two_orgs):
    base_url, smtp_port, proxy, processes = site
    make_agent(two_orgs.agent)
    customer, agent = WebClient(base_url), WebClient(base_url)
    assert customer.login(two_orgs.maria.email, two_orgs.password).status_code == 302
    assert agent.login(two_orgs.agent.email, two_orgs.password).status_code == 302
    assert customer.get("/").status_code == 200

    proxy.cut()
    assert_our_503(customer.get("/"), language="es",
                   heading="Servicio no disponible temporalmente")
    assert_our_503(customer.get("/tickets/new/", headers={"Accept-Language": "en"}),
                   language="en", heading="Service temporarily unavailable")
    assert_our_503(agent.get("/admin/tickets/ticket/"), language="es",
                   heading="Servicio no disponible temporalmente")
    newcomer = WebClient(base_url)
    newcomer.session.headers["Accept-Language"] = "en-US,en;q=0.9"
    assert_our_503(newcomer.login(two_orgs.ana.email, two_orgs.password), language="en",
                   heading="Service temporarily unavailable")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_mail(smtp_port)
    assert 400 <= refused.value.smtp_code < 500

    proxy.restore()
    wait_until(lambda: customer.get("/").status_code == 200, timeout=30, interval=0.5,
               what="pages back after PostgreSQL returns")
    assert agent.get("/admin/tickets/ticket/").status_code == 200
    assert send_mail(smtp_port) == {}
    assert InboundMessage.objects.filter(header_message_id__contains="pg-down-1").count() == 1, \
        processes.logs()
    assert 500 not in customer.statuses + agent.statuses
