"""`python manage.py smtp_inbound --host 127.0.0.1 --port 2525`: the local SMTP listener."""

import signal
import threading

from django.core.management.base import BaseCommand

from mailgateway.sources.smtp import smtp_controller


class Command(BaseCommand):
    help = "Listen for SMTP and store every message received as inbound mail."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host: str, port: int, **options):
        controller = smtp_controller(host=host, port=port)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"SMTP listener on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            controller.stop()
