"""Email backends for tests that need a slow provider (to be caught mid-send), and what an
.eml outbox holds."""

import email
import os
import time
from collections import Counter
from email import policy
from pathlib import Path

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from helpdesk.mail_backends import EmlFileBackend


class SlowLocmemBackend(LocmemBackend):
    """Django's test outbox, after `delay_seconds` (class attribute, set by the test)."""

    delay_seconds = 0.5

    def send_messages(self, messages):
        time.sleep(self.delay_seconds)
        sent = super().send_messages(messages)
        return sent


class SlowEmlFileBackend(EmlFileBackend):
    """One .eml file per message, written after TEST_MAIL_DELAY_SECONDS (from the
    environment of the worker under test): a worker killed during the delay sent nothing."""

    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY_SECONDS", "0.3")))
        return super().send_messages(email_messages)


def sent_message_ids(outbox_dir: Path) -> Counter:
    ids = Counter()
    for path in outbox_dir.glob("*.eml"):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        ids[parsed["Message-ID"].strip()] += 1
    return ids
