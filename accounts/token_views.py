"""The profile page's API tokens: create (the secret is shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import api_tokens
from .client_ip import client_ip
from .exceptions import AccountsError
from .models import ApiToken

TOKEN_REVOKED = _("The token “%(name)s” is revoked: it no longer works.")


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100,
                           help_text=_("What it is for, e.g. “Monitoring script”."),
                           error_messages={"required": api_tokens.TOKEN_NAME_REQUIRED})
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple,
                                       choices=ApiToken.Scope.choices,
                                       error_messages={"required":
                                                       api_tokens.TOKEN_SCOPES_REQUIRED})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_staff:
            self.fields["scopes"].choices = [c for c in ApiToken.Scope.choices
                                             if c[0] != ApiToken.Scope.BILLING]


@login_required
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            token, secret = api_tokens.api_token_create(
                user=request.user, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"], ip=client_ip(request))
        except AccountsError as error:
            for text in error.messages:
                form.add_error(None, text)
        else:
            return render(request, "accounts/api_token_created.html",
                          {"token": token, "secret": secret})
    return render(request, "accounts/api_token_form.html", {"form": form}, status=400)


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    try:
        token = api_tokens.api_token_revoke(user=request.user, token_id=token_id,
                                            ip=client_ip(request))
    except AccountsError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, TOKEN_REVOKED % {"name": token.name})
    return redirect("accounts:profile")
