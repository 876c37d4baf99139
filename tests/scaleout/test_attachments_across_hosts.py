"""Scale-out: attachments live in the object store, not on a host. A customer submits a
ticket with a file through web process 1 (the real logged-in form over HTTP); it downloads
byte-identical through web process 2. An agent replies with a file through web process 2;
the customer downloads it through web process 1, and a worker, on its own host, emails the
reply with the file, read from the store. Every attachment row has its object in the
bucket, no object is without its row, and no host wrote a file to its disk."""

from __future__ import annotations

import email
import os
import re
from email import policy

import pytest

from mailgateway.models import OutboundMessage
from tests.support.procs import wait_until
from tests.support.web import WebClient
from tests.tickets.agent_setup import make_agent
from tickets.models import Attachment, Message, Ticket

from .cluster import require_services

require_services()

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NUMBER = r"[A-Z]{3}-[0-9]{3}-[0-9]{5}"


def sent_emails(cluster) -> dict[str, list[email.message.EmailMessage]]:
    """The .eml files each host's mail backend wrote, parsed, by host."""
    return {host.name: [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                        for path in host.outbox()]
            for host in (*cluster.workers, *cluster.webs)}


def attached_files(message: email.message.EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


def customer_submits_with_a_file(browser: WebClient, content: bytes) -> Ticket:
    page = browser.submit_ticket(department_code="sipstation-general",
                                 subject="Calls drop after 30 seconds",
                                 message="The capture of one dropped call is attached.",
                                 files=[("attachments", "capture.pcap", content)])
    assert page.status_code == 200 and re.search(rf"/tickets/{NUMBER}/submitted/$", page.url), \
        (page.status_code, page.url, page.text[:2000])
    return Ticket.objects.get(number=page.url.rstrip("/").split("/")[-2])


def logged_in(base_url: str, email: str, password: str, *, path: str = "/accounts/login/",
              **extra: str) -> WebClient:
    browser = WebClient(base_url, follow=True)
    page = browser.login(email, password, path=path, **extra)
    assert page.status_code == 200 and "/login/" not in page.url, (page.status_code, page.url)
    return browser


def test_a_file_uploaded_on_one_host_downloads_on_another_and_a_worker_mails_one(
        two_webs, two_orgs):
    cluster = two_webs
    web1, web2 = cluster.webs
    make_agent(two_orgs.agent)
    uploaded, replied = os.urandom(150_000), os.urandom(90_000)

    maria = logged_in(web1.base_url, two_orgs.maria.email, two_orgs.password)
    ticket = customer_submits_with_a_file(maria, uploaded)
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.original_name, attachment.size_bytes) == ("capture.pcap", len(uploaded))

    # The same browser through the other web process (a load balancer's next pick).
    detail = maria.get(f"{web2.base_url}/tickets/{ticket.number}/")
    link = f"/tickets/{ticket.number}/attachments/{attachment.pk}/"
    assert detail.status_code == 200 and link in detail.text
    download = maria.get(web2.base_url + link)
    assert download.status_code == 200
    assert download.content == uploaded

    agent = logged_in(web2.base_url, two_orgs.agent.email, two_orgs.password,
                      path="/admin/login/", next="/admin/")
    desk_ticket = f"/admin/desk/ticket/{ticket.pk}/"
    page = agent.post_form(f"{desk_ticket}do/reply/",
                           {"action": "reply", "kind": "reply",
                            "body": "Please try the firmware attached.",
                            # the customer message the agent has read (the desk's form)
                            "seen_message": ticket.messages.latest("pk").pk},
                           page=agent.get(desk_ticket),
                           files=[("files", "firmware.bin", replied)])
    assert page.status_code == 200 and page.url.startswith(web2.base_url + desk_ticket), \
        (page.status_code, page.url)
    reply = Message.objects.get(ticket=ticket, kind=Message.Kind.AGENT)
    [reply_file] = reply.attachments.all()
    assert reply_file.original_name == "firmware.bin"
    # ... and the customer downloads it through web process 1.
    download = maria.get(f"{web1.base_url}/tickets/{ticket.number}/attachments/{reply_file.pk}/")
    assert (download.status_code, download.content) == (200, replied)

    # A worker (on its own host) sends the confirmation and the reply with its file.
    def both_sent() -> bool:
        return sum(len(found) for found in sent_emails(cluster).values()) >= 2

    wait_until(both_sent, timeout=120, interval=0.2, what="the two emails sent by a worker")
    by_host = sent_emails(cluster)
    assert all(not by_host[web.name] for web in cluster.webs), "a web process sent mail"
    mails = [mail for found in by_host.values() for mail in found]
    assert len(mails) == 2
    with_files = [attached_files(mail) for mail in mails if attached_files(mail)]
    assert with_files == [[("firmware.bin", replied)]]
    assert all(f"[#{ticket.number}]" in mail["Subject"] for mail in mails)
    assert sorted(OutboundMessage.objects.filter(ticket=ticket, sent_at__isnull=False)
                  .values_list("kind", flat=True)) == ["agent_reply", "created"]

    # Both files are in the bucket, nowhere on a host, and nothing else is stored.
    stored = cluster.stored_objects()
    rows = Attachment.objects.filter(message__ticket=ticket).order_by("pk")
    assert sorted((row.original_name, stored.pop(cluster.object_key(row.file.name, stored)))
                  for row in rows) == [("capture.pcap", uploaded), ("firmware.bin", replied)]
    assert stored == {}, f"orphan objects: {sorted(stored)}"
    assert not cluster.all_media_files(), "a file was written to a host's disk"
