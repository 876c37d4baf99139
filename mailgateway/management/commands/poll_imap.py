"""`python manage.py poll_imap`: fetch the IMAP mailbox once (what the beat job does)."""

from django.core.management.base import BaseCommand, CommandError

from mailgateway.sources.imap import ImapConfig, imap_poll


class Command(BaseCommand):
    help = "Fetch new mail from the IMAP mailbox set by IMAP_* settings, once."

    def handle(self, *args, **options):
        config = ImapConfig.from_settings()
        if config is None:
            raise CommandError("IMAP_HOST is not set.")
        stored = imap_poll(config=config)
        self.stdout.write(f"{stored} new messages stored")
