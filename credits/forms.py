from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import exceptions as exc
from .models import BUNDLE_CHOICES


class RedeemCardForm(forms.Form):
    number = forms.CharField(label=_("Card number"), max_length=40,
                             widget=forms.TextInput(attrs={"autocomplete": "off",
                                                           "inputmode": "numeric"}))
    code = forms.CharField(label=_("Verification code"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))


class BundleRequestForm(forms.Form):
    minutes = forms.TypedChoiceField(label=_("Bundle"), choices=BUNDLE_CHOICES, coerce=int)


class AdjustmentForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes (+ to add, − to remove)"))
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea)

    def clean_minutes(self):
        """Bounded by CREDIT_ADJUSTMENT_LIMIT_MINUTES, however many digits were typed (a
        value past the ledger's integers, or past 2**63, is this error and not a 500)."""
        minutes = self.cleaned_data["minutes"]
        if minutes == 0:
            raise forms.ValidationError(exc.ADJUSTMENT_ZERO)
        limit = settings.CREDIT_ADJUSTMENT_LIMIT_MINUTES
        if abs(minutes) > limit:
            raise forms.ValidationError(exc.ADJUSTMENT_TOO_LARGE % {"limit": limit})
        return minutes


class CardBatchForm(forms.Form):
    minutes = forms.TypedChoiceField(label=_("Credits per card"), choices=BUNDLE_CHOICES,
                                     coerce=int)
    count = forms.IntegerField(label=_("Number of cards"), min_value=1, max_value=10000,
                               initial=10)
    batch = forms.CharField(label=_("Batch label"), max_length=64, required=False)
