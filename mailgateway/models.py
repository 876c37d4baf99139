"""Stored inbound mail (raw first, processed later) and the outbound mail we send: each
OutboundMessage is recorded in the transaction of the ticket change that causes it."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outbox.models import SendClaimed


class InboundMessage(models.Model):
    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("ESP webhook")
        IMAP = "imap", _("IMAP mailbox")
        PIPE = "pipe", _("MTA pipe / file")
        SMTP = "smtp", _("SMTP listener")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        THREADED = "threaded", _("Added to a ticket")
        AUTOMATIC = "automatic", _("Automatic mail (recorded, no action)")
        QUARANTINED = "quarantined", _("Quarantined")
        ATTACHED = "attached", _("Attached to a ticket by an agent")
        OPENED = "opened", _("Opened a ticket (by an agent)")
        DISCARDED = "discarded", _("Discarded by an agent")

    class AuthResult(models.TextChoices):
        PASS = "pass", _("Verified (DMARC pass)")
        FAIL = "fail", _("Could not verify the sender (DMARC fail)")
        NONE = "none", _("Not checkable (no DMARC result)")
        TEMPERROR = "temperror", _("Temporary error while checking")
        PERMERROR = "permerror", _("Broken sender records")

    # sha256 of the normalised Message-ID, or of the raw bytes when there is none.
    dedupe_key = models.CharField(_("deduplication key"), max_length=64, unique=True)
    header_message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    raw = models.BinaryField(_("raw message"))
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    is_automatic = models.BooleanField(_("automatic"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # The sender check (inbound/authenticity.py): DMARC result and how it was reached.
    auth_result = models.CharField(_("sender verification"), max_length=10,
                                   choices=AuthResult.choices, blank=True)
    auth_reason = models.CharField(_("sender verification details"), max_length=300,
                                   blank=True)
    # sha256 of the message without its trace headers (inbound/dedupe.py): one
    # message relayed twice has one hash; a different one reusing a Message-ID does not.
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True,
                                    db_index=True)
    message_id_reused = models.BooleanField(
        _("reuses an earlier Message-ID"), default=False,
        help_text=_("Another, different message with this Message-ID was received before."))
    # Retention: the raw bytes were reduced to the header block (the parsed text and the
    # attachments live on the ticket message).
    raw_reduced_at = models.DateTimeField(_("raw message reduced"), null=True, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="inbound_messages",
                               verbose_name=_("ticket"))
    ticket_message = models.OneToOneField("tickets.Message", on_delete=models.SET_NULL,
                                          null=True, blank=True, related_name="inbound",
                                          verbose_name=_("ticket message"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        indexes = [
            models.Index(fields=["status", "received_at"], name="mail_inbound_status_time"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"[:120]


class OutboundMessage(SendClaimed):
    """Every email we send about a ticket, with the Message-ID we generated and signed."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE,
                               related_name="outbound_messages", verbose_name=_("ticket"))
    ticket_message = models.ForeignKey("tickets.Message", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="outbound",
                                       verbose_name=_("ticket message"))
    kind = models.CharField(_("kind"), max_length=24)
    header_message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    to_address = models.CharField(_("to"), max_length=320)
    subject = models.CharField(_("subject"), max_length=255)
    is_automatic = models.BooleanField(_("automatic"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivery_failed_at = models.DateTimeField(_("delivery failed"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="mail_outbound_ticket_time"),
            models.Index(fields=["to_address", "created_at"], name="mail_outbound_to_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_address}"


class SenderDomainPolicy(models.Model):
    """What a DMARC failure does for mail from one domain (and its subdomains): staff set
    "none" for a customer whose mail servers sign nothing or break their own DMARC."""

    class Policy(models.TextChoices):
        ENFORCE = "enforce", _("Enforce: quarantine mail that fails DMARC")
        NONE = "none", _("None: record the verdict, thread as before")

    domain = models.CharField(_("domain"), max_length=253, unique=True,
                              help_text=_("For example acme.example (covers its subdomains)."))
    policy = models.CharField(_("policy"), max_length=8, choices=Policy.choices,
                              default=Policy.ENFORCE)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("sender domain policy")
        verbose_name_plural = _("sender domain policies")

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().strip(".").lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.domain}: {self.policy}"
