"""Management commands of the sources: poll_imap needs a configured mailbox."""

import pytest
from django.core.management import CommandError, call_command


def test_poll_imap_without_a_mailbox_says_so(settings):
    settings.IMAP_HOST = ""
    with pytest.raises(CommandError, match="IMAP_HOST"):
        call_command("poll_imap")


def test_smtp_inbound_has_host_and_port_options():
    from mailgateway.management.commands.smtp_inbound import Command

    parser = Command().create_parser("manage.py", "smtp_inbound")
    options = parser.parse_args(["--host", "127.0.0.1", "--port", "2525"])
    assert (options.host, options.port) == ("127.0.0.1", 2525)
