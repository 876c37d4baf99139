"""The signed-in user's security pages: profile (two-factor status, sessions), two-factor
enrolment and verification, recovery codes, password change. Thin: services do the work."""

from __future__ import annotations

from base64 import b32encode
from functools import wraps

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from . import api_tokens, selectors, services, two_factor
from .client_ip import client_ip
from .exceptions import AccountsError
from .forms import TwoFactorCodeForm
from .token_views import ApiTokenForm
from .views import safe_next

PENDING_KEY_SESSION_KEY = "accounts:totp_key"  # the secret shown on the setup page
TWO_FACTOR_OFF = gettext_lazy("Two-factor authentication is off.")
SIGNED_OUT_ELSEWHERE = gettext_lazy("Signed out of %(n)s other sessions.")


def _next(request, default: str = "tickets:my_tickets") -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next", ""), default)


def _verified(request, device) -> None:
    """The second factor passed: the device goes in the session, whose key is renewed."""
    old_key = request.session.session_key
    request.session.cycle_key()
    services.user_session_rekey(old_key=old_key, new_key=request.session.session_key)
    otp_login(request, device)
    two_factor.session_passed(request)


def _to_verify(request):
    return redirect(reverse("accounts:two_factor_verify") + "?"
                    + urlencode({"next": request.get_full_path()}))


def second_factor_passed(view):
    """The view changes the second factor itself: a session that has not passed it yet
    (the password alone) is sent to the verification step first."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if two_factor.session_pending(request):
            return _to_verify(request)
        return view(request, *args, **kwargs)
    return wrapped


def _qr_svg(device) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, svgclass="qr-code", title=_("QR code for your authenticator app"))


@login_required
def two_factor_setup(request):
    """Enrol an authenticator: a QR code (and its key, to type in), then a code from it.
    The new secret waits in the session (nothing is stored before the code is right).
    Replacing an authenticator takes a session that passed the current one: the password
    alone never enrols a new one."""
    if two_factor.two_factor_enrolled(request.user) and two_factor.session_pending(request):
        return _to_verify(request)
    key = request.session.setdefault(PENDING_KEY_SESSION_KEY, default_key())
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enabled = services.two_factor_enable(user=request.user, key=key,
                                             token=form.cleaned_data["code"],
                                             ip=client_ip(request))
        if enabled is not None:
            device, codes = enabled
            request.session.pop(PENDING_KEY_SESSION_KEY, None)
            _verified(request, device)
            return render(request, "accounts/two_factor_recovery_codes.html",
                          {"codes": codes, "next": resolve_url(_next(request,
                                                                     "accounts:profile"))})
        form.add_error("code", two_factor.WRONG_CODE)
    device = TOTPDevice(user=request.user, key=key)  # not saved: for its URL and key only
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr_svg": _qr_svg(device), "next": request.GET.get("next", ""),
        "secret": b32encode(device.bin_key).decode(),
        "required": two_factor.two_factor_required(request.user),
        "enrolled": two_factor.two_factor_enrolled(request.user)})


@login_required
def two_factor_verify(request):
    """The second step of every login of a user with two-factor authentication."""
    if not two_factor.session_pending(request):
        return redirect(_next(request))
    if not two_factor.two_factor_enrolled(request.user):
        if two_factor.two_factor_required(request.user):
            return redirect(f"{reverse_lazy('accounts:two_factor_setup')}?"
                            + request.GET.urlencode())
        two_factor.session_passed(request)
        return redirect(_next(request))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_token_check(user=request.user,
                                                 token=form.cleaned_data["code"],
                                                 ip=client_ip(request))
        if device is not None:
            _verified(request, device)
            return redirect(_next(request))
        form.add_error("code", two_factor.WRONG_CODE)
    return render(request, "accounts/two_factor_verify.html",
                  {"form": form, "next": request.GET.get("next", "")})


@login_required
@second_factor_passed
@require_POST
def recovery_codes_new(request):
    codes = services.recovery_codes_renew(user=request.user, ip=client_ip(request))
    return render(request, "accounts/two_factor_recovery_codes.html",
                  {"codes": codes, "next": reverse_lazy("accounts:profile")})


@login_required
@second_factor_passed
@require_POST
def two_factor_disable(request):
    try:
        services.two_factor_disable(user=request.user, ip=client_ip(request))
    except AccountsError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, TWO_FACTOR_OFF)
    return redirect("accounts:profile")


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {
        "sessions": selectors.user_sessions_for(user=request.user),
        "current_key": request.session.session_key,
        "two_factor_on": two_factor.two_factor_enrolled(request.user),
        "two_factor_required": two_factor.two_factor_required(request.user),
        "api_tokens": api_tokens.api_tokens_of(user=request.user),
        "api_token_form": ApiTokenForm(user=request.user)})


@login_required
@require_POST
def sessions_sign_out(request):
    """Sign out of every other session ("everywhere else"), or of all of them."""
    everywhere = request.POST.get("scope") == "all"
    ended = services.user_sessions_sign_out(
        user=request.user, keep_session_key=None if everywhere else request.session.session_key,
        ip=client_ip(request))
    if everywhere:
        logout(request)
        return redirect("accounts:login")
    messages.success(request, SIGNED_OUT_ELSEWHERE % {"n": ended})
    return redirect("accounts:profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's: update_session_auth_hash renews this session's key and the other sessions
    no longer authenticate (their hash is stale); they are also ended and audited here."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        new_key = self.request.session.session_key
        services.password_changed(user=form.user, old_session_key=old_key,
                                  new_session_key=new_key, ip=client_ip(self.request))
        messages.success(self.request, _("Your password has been changed."))
        return response
