"""Every raw message of the shared corpus goes through ingest_email (issue 4, done-when)."""

import io
import re
from collections import defaultdict

import pytest
from django.core.management import call_command

from mailgateway.models import InboundMessage

from .corpus import corpus_dir, manifest

pytestmark = pytest.mark.django_db

OUTCOME = re.compile(r"^(?P<label>.+?): (?P<outcome>threaded [A-Z]{3}-\d{3}-\d{5}"
                     r"|automatic \(.+\)( [A-Z]{3}-\d{3}-\d{5})?|quarantined \(.+\)"
                     r"|duplicate \((?P<dup>threaded|automatic|quarantined)\))$")
SISIMAI = "sisimai-set-of-emails/maildir/bsd/"
SISIMAI_TOTAL = 629
SISIMAI_AUTOMATIC_MIN = 620


def _ingest(paths) -> dict[str, str]:
    out = io.StringIO()
    call_command("ingest_email", "--sync", *[str(p) for p in paths], stdout=out)
    outcomes = {}
    for line in out.getvalue().splitlines():
        match = OUTCOME.match(line)
        assert match, f"unexpected outcome line: {line!r}"
        outcomes[match["label"]] = match["outcome"]
    return outcomes


def test_every_corpus_message_ends_with_an_outcome(two_orgs, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    root = corpus_dir()
    sisimai = [root / p for p in manifest("message") if p.startswith(SISIMAI)]
    assert len(sisimai) == SISIMAI_TOTAL

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = _ingest(sisimai)
    by_file = defaultdict(list)  # one file of the set (rfc3464-28) holds two messages
    for label, outcome in outcomes.items():
        by_file[label.split("#")[0]].append(outcome)
    automatic = [name for name, results in by_file.items()
                 if all(r.startswith(("automatic", "duplicate (automatic)")) for r in results)]
    print(f"sisimai classified automatic: {len(automatic)}/{SISIMAI_TOTAL}")
    assert len(by_file) == SISIMAI_TOTAL
    assert len(automatic) >= SISIMAI_AUTOMATIC_MIN
    # Bounces and auto-replies never send any mail: the only mail sent is the quarantine
    # notice to the human senders of the set (a person forwarding a bounce).
    human_senders = set(InboundMessage.objects.filter(is_automatic=False)
                        .values_list("from_address", flat=True))
    assert len(human_senders) <= SISIMAI_TOTAL - SISIMAI_AUTOMATIC_MIN
    assert {to for m in mailoutbox for to in m.to} <= human_senders

    others = [root / p for p in manifest("message") if not p.startswith(SISIMAI)]
    mboxes = [root / p for p in manifest("mbox")]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = _ingest(others + mboxes)
    mbox_labels = [label for label in outcomes if "#" in label]
    # Every stored message ended somewhere, with its reason.
    assert not InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).exists()
    assert not InboundMessage.objects.filter(reason="").exists()
    assert len(outcomes) >= len(others) + len(mboxes)
    assert len(mbox_labels) > len(mboxes)
