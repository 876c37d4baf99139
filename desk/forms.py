"""Forms of the agent desk. They validate input; the services do the work."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Department
from tickets import desk_selectors as ds
from tickets.admin_forms import MultipleFileField
from tickets.models import Macro, Ticket
from tickets.workspace_selectors import agents

KIND_REPLY, KIND_NOTE = "reply", "note"


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Send as"), widget=forms.RadioSelect, initial=KIND_REPLY,
                             choices=[(KIND_REPLY, _("Reply to the customer (emailed)")),
                                      (KIND_NOTE, _("Internal note (never sent)"))])
    macro = forms.ModelChoiceField(label=_("Macro"), required=False,
                                   queryset=Macro.objects.none(), empty_label="—")
    body = forms.CharField(label=_("Message"), required=False,
                           widget=forms.Textarea(attrs={"rows": 7}))
    files = MultipleFileField(label=_("Attachments"), required=False)
    seen_message = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    send_anyway = forms.BooleanField(label=_("Send it anyway"), required=False)

    def __init__(self, *args, macros=(), **kwargs):
        """`macros`: the macros offered, a list or a query (read only for the macro posted)."""
        super().__init__(*args, **kwargs)
        field = self.fields["macro"]
        field.queryset = (macros if isinstance(macros, QuerySet) else  # validates
                          Macro.objects.filter(pk__in=[m.pk for m in macros]))
        if not isinstance(macros, QuerySet):  # shown from the list: no query
            field.choices = [("", "—"), *((m.pk, m.title) for m in macros)]

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and data.get("macro") is None:
            self.add_error("body", _("Please enter a message."))
        return data

    @property
    def internal(self) -> bool:
        return self.cleaned_data["kind"] == KIND_NOTE


class UpdateForm(forms.Form):
    """Status, priority, assignee and department in one save (one service call)."""

    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Ticket.Priority.choices,
                                      coerce=int)
    assignee = forms.ModelChoiceField(label=_("Assignee"), required=False,
                                      queryset=agents(), empty_label=_("Unassigned"))
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.select_related("product"))
    reason = forms.CharField(label=_("Reason for a move (internal, never shown to the "
                                     "customer)"), max_length=300, required=False)

    # The page draws its lists from desk_selectors.agent_choices / department_choices (one
    # query each); the querysets validate what is posted.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].label_from_instance = ds.department_label
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name()


KEEP_CHOICE = ("", _("— no change —"))


class BulkForm(forms.Form):
    """Selected tickets of the queue and what to change on all of them."""

    ticket = forms.TypedMultipleChoiceField(label=_("Tickets"), coerce=int, choices=())
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[KEEP_CHOICE, *Ticket.Status.choices])
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int,
                                      empty_value=None,
                                      choices=[KEEP_CHOICE, *Ticket.Priority.choices])

    def __init__(self, *args, agent_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("ticket") if hasattr(self.data, "getlist") else []
        self.fields["ticket"].choices = [(v, v) for v in ids if v.isascii() and v.isdigit()
                                         and len(v) <= 12]
        self.fields["assignee"].choices = [KEEP_CHOICE, ("me", _("Me")),
                                           ("none", _("Unassigned")),
                                           *[(str(pk), name) for pk, name in agent_choices]]


class MergeForm(forms.Form):
    number = forms.CharField(label=_("Merge into ticket number"), max_length=40,
                             help_text=_("A ticket of the same organization; this one is "
                                         "closed and points to it."))


class QuarantineAttachForm(forms.Form):
    ticket_number = forms.CharField(label=_("Ticket number"), max_length=40,
                                    help_text=_("For example KXJ-482-19375 or [#KXJ-482-19375]"))


class QuarantineOpenForm(forms.Form):
    requester_email = forms.EmailField(label=_("Requester (contact email)"))
    department = forms.ModelChoiceField(label=_("Department"),
                                        queryset=Department.objects.select_related("product"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].label_from_instance = ds.department_label


class QuarantineDiscardForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=250)
