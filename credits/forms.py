from django import forms
from django.utils.translation import gettext_lazy as _

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
        minutes = self.cleaned_data["minutes"]
        if minutes == 0:
            raise forms.ValidationError(_("An adjustment must add or remove at least one minute."))
        return minutes


class CardBatchForm(forms.Form):
    minutes = forms.TypedChoiceField(label=_("Credits per card"), choices=BUNDLE_CHOICES,
                                     coerce=int)
    count = forms.IntegerField(label=_("Number of cards"), min_value=1, max_value=10000,
                               initial=10)
    batch = forms.CharField(label=_("Batch label"), max_length=64, required=False)
