from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email address"),
                                widget=forms.EmailInput(attrs={"autofocus": True,
                                                               "autocomplete": "email"}))
    remember_me = forms.BooleanField(label=_("Remember me"), required=False,
                                     help_text=_("Not recommended on public computers."))


class ContactDetailsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone", "job_title", "language", "time_zone"]
