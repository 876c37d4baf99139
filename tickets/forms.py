"""Customer forms: the submit wizard's step 2 and the reply form."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.models import DepartmentField

from . import attachments, customer_selectors
from . import exceptions as exc
from .models import Ticket

SUBJECT_HELP = _("Be descriptive: the subject is the title of your ticket, e.g. “One-way audio "
                 "on calls to mobile numbers since Monday”. One problem per ticket.")
FILES_AGAIN = _("For your security, files are not kept when the form has errors: please "
                "choose them again.")
RECORD_KINDS = {
    DepartmentField.Kind.DEPLOYMENT: "deployment",
    DepartmentField.Kind.HARDWARE: "hardware_item",
    DepartmentField.Kind.MODULE: "module_licence",
    DepartmentField.Kind.BILLING_RESPONSIBILITY: "billing_responsibility",
}


# The wizard's sales fixes (entitlements engine actions) arrive with ?topic=…&about=…; the
# subject is prefilled from the topic.
SALES_TOPICS = {
    "renew_contract": _("Renewal of the support contract of %(about)s"),
    "buy_contract": _("A support contract for %(about)s"),
    "extend_warranty": _("Warranty extension for %(about)s"),
    "renew_maintenance": _("Renewal of the maintenance of %(about)s"),
    "ask_sales": _("A question for sales"),
}
SALES_TOPICS_WITHOUT_RECORD = {"buy_contract": _("A support contract"),
                               "ask_sales": _("A question for sales")}


def prefilled_from_query(query) -> dict:
    """Initial subject and "about" field from a sales fix's link (never trusted further:
    the customer sees and may change both)."""
    topic, about = query.get("topic", ""), query.get("about", "")[:200]
    if topic not in SALES_TOPICS:
        return {}
    subject = (SALES_TOPICS[topic] % {"about": about} if about
               else SALES_TOPICS_WITHOUT_RECORD.get(topic, SALES_TOPICS[topic]))
    return {"subject": str(subject)[:200], "field_about": about}


class RecordSelect(forms.Select):
    """A record select whose records the rules refuse are shown but cannot be chosen."""

    def __init__(self, *args, disabled_values=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = {str(v) for v in disabled_values}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(getattr(value, "value", value)) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files under one name (several inputs, or one `multiple` input)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)  # reported by attachment_problems
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]


def _attachment_errors(files, existing_bytes: int = 0) -> None:
    problems = attachments.attachment_problems(files=files, existing_bytes=existing_bytes)
    if problems:
        raise ValidationError(problems)


class RecordChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, contact, **kwargs):
        self.contact_org_id = contact.organization_id
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        organization = getattr(obj, "organization", None) or obj.deployment.organization
        if organization.pk != self.contact_org_id:
            return f"{obj} · {organization}"
        return str(obj)


def _department_form_field(field: DepartmentField, *, contact, department,
                           refused: dict) -> forms.Field:
    common = {"label": field.label, "help_text": field.help_text, "required": field.required}
    if field.kind in RECORD_KINDS:
        queryset = customer_selectors.contact_records(contact=contact, kind=field.kind,
                                                      department=department)
        disabled = refused.get(field.kind, set())
        # A required record with a single candidate the rules accept is chosen for the contact.
        only = ([pk for pk in queryset.values_list("pk", flat=True) if pk not in disabled]
                if field.required else [])
        return RecordChoiceField(queryset=queryset, contact=contact,
                                 initial=only[0] if len(only) == 1 else None,
                                 widget=RecordSelect(disabled_values=disabled),
                                 empty_label=_("Choose…"), **common)
    if field.kind == DepartmentField.Kind.CHOICE:
        options = [line.strip() for line in field.choices_text.splitlines() if line.strip()]
        return forms.ChoiceField(choices=[("", _("Choose…"))] + [(o, o) for o in options],
                                 **common)
    if field.kind == DepartmentField.Kind.TEXTAREA:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                               **common)
    return forms.CharField(max_length=500, **common)


class TicketSubmitForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    subject = forms.CharField(label=_("Subject"), max_length=200, help_text=SUBJECT_HELP,
                              error_messages={"required": exc.SUBJECT_REQUIRED})
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}),
                              help_text=_("Steps to reproduce, what you expected and what "
                                          "happened, error messages, times of the calls."),
                              error_messages={"required": exc.MESSAGE_REQUIRED})
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, contact, department, refused=None, **kwargs):
        """`refused`: record kind → primary keys the rules refuse (shown, not choosable)."""
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.department_fields = customer_selectors.department_fields(department=department)
        extra = {f"field_{f.key}": _department_form_field(f, contact=contact,
                                                          department=department,
                                                          refused=refused or {})
                 for f in self.department_fields}
        # Department questions first, then subject, message and files.
        self.fields = {"submission_key": self.fields["submission_key"], **extra,
                       **{k: v for k, v in self.fields.items() if k != "submission_key"}}

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise ValidationError(exc.SUBJECT_REQUIRED)
        return subject

    def clean_message(self):
        message = self.cleaned_data["message"]
        if not message.strip():
            raise ValidationError(exc.MESSAGE_REQUIRED)
        return message

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        _attachment_errors(files)
        return files

    def department_boundfields(self):
        return [self[f"field_{f.key}"] for f in self.department_fields]

    def service_kwargs(self) -> dict:
        """Keyword arguments of services.ticket_create from the cleaned form."""
        data = self.cleaned_data
        kwargs: dict = {"field_values": {}}
        for field in self.department_fields:
            value = data.get(f"field_{field.key}")
            if field.kind in RECORD_KINDS and value is not None:
                kwargs[RECORD_KINDS[field.kind]] = value
            if value not in (None, ""):
                kwargs["field_values"][field] = str(value)
        return {**kwargs, "subject": data["subject"], "body": data["message"],
                "files": data["attachments"], "submission_key": data["submission_key"]}


class ReplyForm(forms.Form):
    message = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}),
                              error_messages={"required": exc.MESSAGE_REQUIRED})
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, existing_bytes: int | Callable[[], int] = 0, **kwargs):
        """`existing_bytes`: the ticket's attachments so far, or a function that reads
        them (called only when files are posted: a reply without any reads nothing)."""
        super().__init__(*args, **kwargs)
        self.existing_bytes = existing_bytes

    def clean_message(self):
        message = self.cleaned_data["message"]
        if not message.strip():
            raise ValidationError(exc.MESSAGE_REQUIRED)
        return message

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        if files:
            existing = self.existing_bytes
            _attachment_errors(files, existing_bytes=existing() if callable(existing)
                               else existing)
        return files


class TicketSearchForm(forms.Form):
    """My Tickets' filters (GET). Bad values are ignored field by field, never an error page."""
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _(
                            "Subject, ticket number or message text")}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    since = forms.DateField(label=_("Opened from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Opened until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, resolved: bool, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = ([Ticket.Status.RESOLVED] if resolved else list(Ticket.OPEN_STATUSES))
        self.fields["status"].choices = [("", _("Any status"))] + [
            (s.value, s.label) for s in statuses]

    def full_clean(self):
        super().full_clean()
        for name in list(self.errors):  # an unusable filter is dropped, the rest apply
            self.cleaned_data.pop(name, None)
        self._errors = forms.utils.ErrorDict()

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"text": data.get("q") or "", "status": data.get("status") or "",
                "since": data.get("since"), "until": data.get("until")}

    def query_string(self, *, scope: str) -> str:
        """The filters in the pager's links."""
        from django.utils.http import urlencode

        data = self.data if self.is_bound else {}
        kept = {k: data.get(k) for k in ("q", "status", "since", "until") if data.get(k)}
        return urlencode({"scope": scope, **kept})
