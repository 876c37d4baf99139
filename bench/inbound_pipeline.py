"""In-process figures for the inbound mail pipeline (no broker, no worker).

    python bench/inbound_pipeline.py [N]

Prints (1) parse + classify + quote stripping per message on CPU only, and (2) store +
process of N threaded replies against the configured database (DATABASE_URL; a scratch
organization, contact and ticket are created), with the number of queries per message.
The end-to-end figure through Celery workers is measured by the mail gateway benchmark.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization, User  # noqa: E402
from mailgateway import services  # noqa: E402
from mailgateway.inbound import classify, parse  # noqa: E402
from tests.factories import TicketFactory  # noqa: E402
from tests.factories.mailgateway import raw_email  # noqa: E402

BODY = ("Thanks, after the firmware update the calls work in both directions.\n\n"
        "On Mon, 3 Mar 2025 at 10:00, Support <support@helpdesk.example> wrote:\n"
        "> Could you update the firmware and try again?\n> Regards\n")


def cpu_only(raws: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in raws:
        services.dedupe_key_for(raw=raw)
        parsed = parse.parse_message(raw)
        classify.classify(raw, parsed)
        services.reply_body(parsed)
    return len(raws) / (time.perf_counter() - start)


def end_to_end(count: int) -> tuple[float, float]:
    tag = uuid.uuid4().hex[:8]
    org = Organization.objects.create(name=f"Bench {tag}")
    user = User.objects.create_user(f"bench-{tag}@bench.example", organization=org,
                                    details_confirmed_at=timezone.now())
    ticket = TicketFactory.create(requester=user)
    raws = [raw_email(from_addr=user.email, subject=f"RE: {ticket.subject_tag} audio",
                      body=BODY) for _ in range(count)]
    with CaptureQueriesContext(connection) as queries:
        row, _ = services.inbound_message_store(raw=raws[0], source="pipe")
        services.inbound_message_process(inbound_id=row.pk)
    start = time.perf_counter()
    for raw in raws[1:]:
        row, _ = services.inbound_message_store(raw=raw, source="pipe")
        services.inbound_message_process(inbound_id=row.pk)
    return (count - 1) / (time.perf_counter() - start), len(queries)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    raws = [raw_email(subject="RE: [#ABC-123-45678] audio", body=BODY) for _ in range(count)]
    print(f"parse+classify+quote (CPU, 1 process): {cpu_only(raws):,.0f} msg/s")
    rate, queries = end_to_end(count)
    print(f"store+process, {connection.vendor}, 1 process: {rate:,.0f} msg/s "
          f"({queries} queries per message incl. transaction control)")


if __name__ == "__main__":
    main()
