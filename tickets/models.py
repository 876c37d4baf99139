"""Tickets, their messages, attachments, audit events and agents' time entries."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sla.policy import Reason as SlaReason

from .exceptions import TICKET_EVENT_IMMUTABLE, TicketEventImmutable
from .numbers import NUMBER_MAX_CHARS, NUMBER_REGEX, subject_tag


def sla_policy_reason_choices():
    return SlaReason.CHOICES


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
        ON_HOLD = "on_hold", _("On hold")
        RESOLVED = "resolved", _("Resolved")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.ON_HOLD)

    # Format KXJ-482-19375: random, unique, never reused (tickets are never deleted).
    number = models.CharField(_("ticket number"), max_length=NUMBER_MAX_CHARS, unique=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT,
                                     related_name="tickets", verbose_name=_("organization"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="requested_tickets", verbose_name=_("requester"))
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT,
                                   related_name="tickets", verbose_name=_("department"))
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="assigned_tickets",
                                 verbose_name=_("assignee"))
    # The item the ticket is about and who pays (department fields of kinds
    # deployment / hardware / module / billing_responsibility).
    deployment = models.ForeignKey("entitlements.Deployment", on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="tickets",
                                   verbose_name=_("deployment"))
    hardware_item = models.ForeignKey("entitlements.HardwareItem", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="tickets",
                                      verbose_name=_("hardware item"))
    module_licence = models.ForeignKey("entitlements.ModuleLicence", on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="tickets",
                                       verbose_name=_("commercial module"))
    billing_responsibility = models.ForeignKey("entitlements.BillingResponsibility",
                                               on_delete=models.PROTECT, null=True, blank=True,
                                               related_name="tickets",
                                               verbose_name=_("billing responsibility"))
    # Whose credits pay for agent time (the billing responsibility's organization, else the
    # ticket's organization). Kept on the ticket as chosen at submission.
    paying_organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT,
                                            null=True, blank=True, related_name="paid_tickets",
                                            verbose_name=_("paying organization"))
    # Idempotency of the submit form: posting the same form twice creates one ticket.
    submission_key = models.UUIDField(_("submission key"), unique=True, default=uuid.uuid4,
                                      editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # Set while the ticket waits for us (customer wrote last); null when it does not.
    waiting_since = models.DateTimeField(_("waiting for us since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Service level (sla app): the policy decided at open (or on a move / renewal) and why;
    # the due times the services compute at each event (sla.clock).
    sla_policy = models.ForeignKey("sla.SlaPolicy", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="tickets",
                                   verbose_name=_("service-level policy"))
    sla_reason = models.CharField(_("why this policy"), max_length=20, blank=True,
                                  choices=sla_policy_reason_choices)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True,
                                                 blank=True)
    response_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_elapsed_minutes = models.PositiveIntegerField(
        _("resolution clock (minutes used)"), default=0)
    resolution_clock_since = models.DateTimeField(_("resolution clock running since"),
                                                  null=True, blank=True)
    sla_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    sla_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    sla_due_kind = models.CharField(_("next due for"), max_length=16, blank=True)
    # The due time each warning was sent for: once per due time (sla warnings job).
    sla_risk_warned_for = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breach_warned_for = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when an agent merged this ticket into another (the survivor): its messages, files
    # and time moved there, and mail to it threads to the survivor.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged_tickets",
                                    verbose_name=_("merged into"))

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=rf"^{NUMBER_REGEX}$"),
                name="tickets_number_format",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-last_activity_at"],
                         name="tickets_org_status_activity"),
            models.Index(fields=["requester", "status", "-last_activity_at"],
                         name="tickets_req_status_activity"),
            models.Index(fields=["department", "status", "waiting_since"],
                         name="tickets_queue_waiting"),
            models.Index(fields=["status", "waiting_since"], name="tickets_status_waiting"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status"),
            # The agent queue: longest waiting first (waiting_since nulls last), then the
            # most recent activity. One index per filter an agent uses most, each ending
            # with the whole sort key so PostgreSQL reads a page straight off the index.
            models.Index(fields=["waiting_since", "-last_activity_at", "-id"],
                         name="tickets_queue_order"),
            models.Index(fields=["status", "waiting_since", "-last_activity_at", "-id"],
                         name="tickets_queue_status_order"),
            models.Index(fields=["department", "waiting_since", "-last_activity_at", "-id"],
                         name="tickets_queue_dept_order"),
            models.Index(fields=["department", "status", "waiting_since", "-last_activity_at",
                                 "-id"], name="tickets_queue_dept_st_order"),
            models.Index(fields=["assignee", "waiting_since", "-last_activity_at", "-id"],
                         name="tickets_queue_assignee_order"),
            models.Index(fields=["organization", "waiting_since", "-last_activity_at", "-id"],
                         name="tickets_queue_org_order"),
            # Service level: the queue sorted by next due time, the warnings job.
            models.Index(fields=["sla_due_at", "id"], name="tickets_sla_due"),
            models.Index(fields=["sla_risk_at"], name="tickets_sla_risk"),
            # Reports (reports app): date ranges on when tickets were opened, resolved and
            # due for a first response.
            models.Index(fields=["created_at"], name="tickets_created"),
            models.Index(fields=["resolved_at"], name="tickets_resolved"),
            models.Index(fields=["first_response_due_at"], name="tickets_first_due"),
            models.Index(fields=["first_responded_at"], name="tickets_first_responded"),
        ]

    def __str__(self) -> str:
        return f"[#{self.number}] {self.subject}"

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    @property
    def subject_tag(self) -> str:
        return subject_tag(self.number)


class TicketFieldValue(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey("catalog.DepartmentField", on_delete=models.PROTECT,
                              related_name="+")
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["field__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "field"], name="tickets_field_value_unique"),
        ]


class Message(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer message")
        AGENT = "agent", _("Agent reply")
        NOTE = "note", _("Internal note")
        AUTOMATIC = "automatic", _("Automatic mail")
        DELIVERY_FAILURE = "delivery_failure", _("Delivery failure")

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("Email")
        ADMIN = "admin", _("Agent workspace")
        API = "api", _("API")

    CUSTOMER_VISIBLE_KINDS = (Kind.CUSTOMER, Kind.AGENT)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages",
                               verbose_name=_("ticket"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+", verbose_name=_("author"))
    # For mail from an address that is not a user (e.g. a participant, a bounce).
    author_email = models.EmailField(_("author email"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices,
                              default=Source.WEB)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["ticket", "created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_msg_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_customer_visible(self) -> bool:
        return self.kind in self.CUSTOMER_VISIBLE_KINDS


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name is ours; the customer's file name is only a display name.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["message", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class TicketEvent(models.Model):
    """The audit trail: who changed what, when. Append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Ticket created")
        MESSAGE_ADDED = "message_added", _("Message added")
        STATUS_CHANGED = "status_changed", _("Status changed")
        REOPENED = "reopened", _("Reopened")
        RESOLVED = "resolved", _("Resolved")
        ASSIGNED = "assigned", _("Assignee changed")
        DEPARTMENT_CHANGED = "department_changed", _("Department changed")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        TIME_LOGGED = "time_logged", _("Time logged")
        TIME_REVERSED = "time_reversed", _("Time entry reversed")
        CREDITS_REFUNDED = "credits_refunded", _("Credits refunded")
        MAIL_SENT = "mail_sent", _("Email sent")
        MAIL_FAILED = "mail_failed", _("Email delivery failed")
        PARTICIPANT_ADDED = "participant_added", _("Participant added")
        PARTICIPANT_REMOVED = "participant_removed", _("Participant removed")
        SLA_POLICY_CHANGED = "sla_policy_changed", _("Service-level policy changed")
        SLA_AT_RISK = "sla_at_risk", _("Service level at risk")
        SLA_BREACHED = "sla_breached", _("Service level breached")
        SATISFACTION_RATED = "satisfaction_rated", _("Satisfaction rated")
        MERGED = "merged", _("Merged into another ticket")
        MERGED_FROM = "merged_from", _("Another ticket merged into this one")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events",
                               verbose_name=_("ticket"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    kind = models.CharField(_("event"), max_length=24, choices=Kind.choices)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["ticket", "created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="tickets_event_ticket_time"),
            # The reports' waiting series: status changes by day (reports.daily).
            models.Index(fields=["created_at"], name="tickets_event_status_time",
                         condition=models.Q(kind__in=["status_changed", "resolved"])),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TicketEventImmutable(TICKET_EVENT_IMMUTABLE)
        super().save(*args, **kwargs)


class TicketParticipant(models.Model):
    """A contact of the ticket's organization who follows the ticket besides its requester:
    sees it on the site, may write to it (site, API, mail) and gets its emails. Added by
    the requester or an agent on the ticket page, or copied (Cc) by the requester on an
    email to the ticket (tickets.access decides; tickets.services writes)."""

    class Source(models.TextChoices):
        SITE = "site", _("Added by the requester on the site")
        AGENT = "agent", _("Added by an agent")
        EMAIL_CC = "email_cc", _("Copied (Cc) by the requester on an email")
        API = "api", _("Added by the requester through the API")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants",
                               verbose_name=_("ticket"))
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="participations", verbose_name=_("contact"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("added by"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["ticket", "created_at", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "contact"],
                                    name="tickets_participant_unique"),
        ]
        indexes = [models.Index(fields=["contact", "ticket"], name="tickets_participant_contact")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.contact_id}"


class TimeEntry(models.Model):
    """Agent time on a ticket. Corrected by a reversing entry, never edited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="time_entries",
                               verbose_name=_("ticket"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("agent"))
    minutes = models.IntegerField(_("minutes"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by", verbose_name=_("reverses"))
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["ticket", "created_at", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(condition=~models.Q(minutes=0), name="tickets_time_nonzero"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, minutes__gt=0)
                | models.Q(reverses__isnull=False, minutes__lt=0),
                name="tickets_time_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.minutes} min"


class CannedReply(models.Model):
    """A prepared answer agents insert into a reply; staff manage them in the admin."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body = models.TextField(_("text"))
    # Blank: offered in every department.
    department = models.ForeignKey("catalog.Department", on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="canned_replies",
                                   verbose_name=_("department"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class Macro(models.Model):
    """A one-step answer staff prepare: it fills the reply and sets the ticket's status,
    assignee and priority (blank: left as they are). Staff manage them in the admin."""

    class Assign(models.TextChoices):
        KEEP = "", _("Leave the assignee")
        ME = "me", _("Assign to the agent using the macro")
        NOBODY = "nobody", _("Unassign")

    title = models.CharField(_("title"), max_length=120, unique=True)
    body = models.TextField(_("reply text"), blank=True)
    status = models.CharField(_("set status"), max_length=20, choices=Ticket.Status.choices,
                              blank=True)
    priority = models.PositiveSmallIntegerField(_("set priority"), choices=Ticket.Priority.choices,
                                                null=True, blank=True)
    assign = models.CharField(_("assignee"), max_length=8, choices=Assign.choices, blank=True,
                              default=Assign.KEEP)
    # Blank: offered in every department.
    department = models.ForeignKey("catalog.Department", on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="macros",
                                   verbose_name=_("department"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"), editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.title
class SatisfactionSurvey(models.Model):
    """"How did we do?" for one resolution of a ticket: asked when it is resolved (again
    after a reopen and a new resolution), answered once through a signed link
    (tickets.satisfaction). Keeps the department and the assignee of that resolution for
    the reports."""

    class Rating(models.TextChoices):
        GOOD = "good", _("Good")
        BAD = "bad", _("Bad")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys",
                               verbose_name=_("ticket"))
    resolution_number = models.PositiveSmallIntegerField(_("resolution"))
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("agent"))
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    rating = models.CharField(_("rating"), max_length=4, choices=Rating.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # The first answer: the link may change it for CHANGE_DAYS after (tickets.satisfaction).
    first_rated_at = models.DateTimeField(_("first rated"), null=True, blank=True)
    # When both answers arrived within seconds (a mail scanner) and neither counted.
    scanner_voided_at = models.DateTimeField(_("voided as a link scanner's"), null=True,
                                             blank=True)

    class Meta:
        ordering = ["ticket", "resolution_number"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "resolution_number"],
                                    name="tickets_survey_per_resolution"),
        ]
        indexes = [models.Index(fields=["rated_at"], name="tickets_survey_rated")]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.resolution_number}: {self.rating or '—'}"
