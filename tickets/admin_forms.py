"""Forms of the agent's ticket page. They validate input; the services do the work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Department

from .models import CannedReply, Ticket
from .services import MAX_TIME_ENTRY_MINUTES
from .workspace_selectors import agents


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    KIND_REPLY, KIND_NOTE = "reply", "note"

    kind = forms.ChoiceField(label=_("Send as"), widget=forms.RadioSelect, initial=KIND_REPLY,
                             choices=[(KIND_REPLY, _("Reply to the customer (emailed)")),
                                      (KIND_NOTE, _("Internal note (never sent)"))])
    canned_reply = forms.ModelChoiceField(label=_("Canned reply"), required=False,
                                          queryset=CannedReply.objects.none())
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}),
                           required=False)
    files = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, canned_replies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canned_reply"].queryset = CannedReply.objects.filter(
            pk__in=[c.pk for c in canned_replies])
        self.fields["canned_reply"].choices = [("", "—")] + [(c.pk, c.title)
                                                               for c in canned_replies]
        self.canned_replies = canned_replies

    def clean(self):
        data = super().clean()
        canned = data.get("canned_reply")
        if not (data.get("body") or "").strip() and canned is not None:
            data["body"] = canned.body
        return data

    @property
    def internal(self) -> bool:
        return self.cleaned_data["kind"] == self.KIND_NOTE


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1,
                                 max_value=MAX_TIME_ENTRY_MINUTES)
    note = forms.CharField(label=_("Note (the customer sees it in their credit ledger)"),
                           max_length=500, required=False)


class TimeReverseForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class TicketUpdateForm(forms.Form):
    """Status, priority, assignee and department in one form; only what changed is done."""

    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Ticket.Priority.choices,
                                      coerce=int)
    assignee = forms.ModelChoiceField(label=_("Assignee"), required=False,
                                      queryset=agents(), empty_label=_("Unassigned"))
    department = forms.ModelChoiceField(label=_("Department"),
                                        queryset=Department.objects.select_related("product"))
    reason = forms.CharField(label=_("Reason for the department change"), max_length=300,
                             required=False)

    def __init__(self, *args, agent_choices=None, department_choices=None, **kwargs):
        """agent_choices, department_choices: (id, label) lists the page already has (the
        queue's cached choice lists), so that rendering queries nothing."""
        super().__init__(*args, **kwargs)
        if agent_choices is not None:
            self.fields["assignee"].choices = [("", _("Unassigned"))] + list(agent_choices)
        if department_choices is not None:
            self.fields["department"].choices = list(department_choices)


class AssignActionForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Agent"), queryset=agents())


class StatusActionForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class DepartmentActionForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.select_related("product"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
