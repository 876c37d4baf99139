"""Raw inbound emails for the mail gateway tests."""

from __future__ import annotations

import itertools
from email.message import EmailMessage

_counter = itertools.count(1)


def raw_email(*, from_addr: str = "maria@acme.example", subject: str = "Hello",
              body: str = "Thanks, it works now.", to: str = "support@helpdesk.example",
              message_id: str | None = "auto", in_reply_to: str = "", references: str = "",
              headers: dict | None = None, html: str | None = None,
              attachments: tuple = ()) -> bytes:
    """One RFC 5322 message as bytes. message_id="auto" makes a unique one; None omits it."""
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Wed, 25 Nov 2026 10:00:00 +0000"
    if message_id == "auto":
        message_id = f"<test-{next(_counter)}-{id(msg)}@client.example>"
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)
