"""Forms shared by the desk and the API: files, time entries and their reversal. They
validate input; the services do the work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_TIME_ENTRY_MINUTES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1,
                                 max_value=MAX_TIME_ENTRY_MINUTES)
    note = forms.CharField(label=_("Note (the customer sees it in their credit ledger)"),
                           max_length=500, required=False)


class TimeReverseForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=500)
