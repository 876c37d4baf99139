"""The reports' filters: date range, product, department, organization."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from catalog.models import Department, Product

from .queries import Filters

MAX_DAYS = 731
RANGE_ORDER = _("The end date must not be before the start date.")
RANGE_TOO_LONG = _("Choose at most two years.")


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.ModelChoiceField(label=_("Product"), required=False,
                                     queryset=Product.objects.all())
    department = forms.ModelChoiceField(label=_("Department"), required=False,
                                        queryset=Department.objects.select_related("product"))
    organization = forms.IntegerField(label=_("Organization (id)"), required=False,
                                      min_value=1, max_value=2**31 - 1)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["date_to"] = data.get("date_to") or today
        data["date_from"] = data.get("date_from") or data["date_to"] - dt.timedelta(days=29)
        if data["date_to"] < data["date_from"]:
            raise forms.ValidationError(RANGE_ORDER)
        if (data["date_to"] - data["date_from"]).days > MAX_DAYS:
            raise forms.ValidationError(RANGE_TOO_LONG)
        organization = data.get("organization")
        if organization and not Organization.objects.filter(pk=organization).exists():
            self.add_error("organization", _("No organization has this id."))
        return data

    def filters(self) -> Filters:
        d = self.cleaned_data
        return Filters(date_from=d["date_from"], date_to=d["date_to"],
                       product_id=d["product"].pk if d.get("product") else None,
                       department_id=d["department"].pk if d.get("department") else None,
                       organization_id=d.get("organization"))
