import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import loader
from django.utils.translation import gettext_lazy as _

from outbox import services as outbox_services

from . import throttle
from .models import SecurityEvent, User

LOGIN_PORTAL_ONLY = _("Customers sign in through the customer portal: use the button above.")
LOGIN_THROTTLED = _("Too many failed attempts. Please wait %(minutes)s minutes and try again, "
                    "or reset your password.")


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email address"),
                                widget=forms.EmailInput(attrs={"autofocus": True,
                                                               "autocomplete": "email"}))
    remember_me = forms.BooleanField(label=_("Remember me"), required=False,
                                     help_text=_("Not recommended on public computers."))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct email address and password. Both fields "
                           "may be case-sensitive."),
        "throttled": LOGIN_THROTTLED,
        "portal_only": LOGIN_PORTAL_ONLY,
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if (settings.OIDC_ENABLED and not settings.OIDC_LOCAL_PASSWORDS_FOR_CUSTOMERS
                and not user.is_staff):
            raise ValidationError(self.error_messages["portal_only"], code="portal_only")

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        ip = throttle.client_ip(self.request) if self.request else "unknown"
        if email and throttle.login_is_throttled(email=email, ip=ip):
            throttle.logger.warning("Refused login for %r from %s: throttled", email, ip)
            self._record(SecurityEvent.Kind.LOGIN_LOCKED, email=email, ip=ip)
            raise ValidationError(
                self.error_messages["throttled"], code="throttled",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)})
        try:
            cleaned = super().clean()
        except ValidationError:
            if email:
                throttle.login_failure_record(email=email, ip=ip)
                self._record(SecurityEvent.Kind.LOGIN_FAILED, email=email, ip=ip)
            raise
        throttle.login_failures_reset(email=email, ip=ip)
        return cleaned

    def _record(self, kind: str, *, email: str, ip: str) -> None:
        """Audited for the staff (accounts.SecurityEvent; unlock from the admin)."""
        from . import services

        agent = self.request.META.get("HTTP_USER_AGENT", "") if self.request else ""
        services.security_event_record(kind=kind, email=email, ip=ip, user_agent=agent)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, throttled per address and per client (see accounts.throttle).

    Over a limit it sends nothing and says nothing: the view shows the usual "sent" page,
    exactly as for an address without an account."""

    def save(self, *, request=None, **kwargs) -> None:
        ip = throttle.client_ip(request) if request else "unknown"
        if throttle.password_reset_request_record(email=self.cleaned_data["email"], ip=ip):
            with transaction.atomic():
                super().save(request=request, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None) -> None:
        """Recorded in the outbox (sent after commit, once, the broker's outages survived);
        the body, which holds the reset link, is blanked as soon as it is sent."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        html = (loader.render_to_string(html_email_template_name, context)
                if html_email_template_name else "")
        outbox_services.outbox_email_record(
            kind="password_reset", to_address=to_email, subject=subject,
            body_text=loader.render_to_string(email_template_name, context), body_html=html,
            from_email=from_email or "", keep_body=False)


# Where our customers are: offered first in the time-zone picker (the rest follow).
COMMON_TIME_ZONES = (
    "America/Mexico_City", "America/Bogota", "America/Lima", "America/Santiago",
    "America/Argentina/Buenos_Aires", "America/Caracas", "America/Guatemala",
    "America/Costa_Rica", "America/Panama", "America/Santo_Domingo", "America/Montevideo",
    "America/Guayaquil", "America/La_Paz", "America/Asuncion", "Europe/Madrid",
    "Atlantic/Canary", "America/New_York", "America/Chicago", "America/Denver",
    "America/Los_Angeles", "America/Sao_Paulo", "Europe/London", "UTC",
)


def _zone_label(name: str) -> str:
    return name.replace("_", " ").replace("/", " / ")


def _time_zone_choices() -> list:
    """Common zones first, then every other zone, in two groups (the select still works
    without JavaScript; static/js/timezone.js adds a search box)."""
    zones = sorted(name for name in zoneinfo.available_timezones()
                   if "/" in name or name == "UTC")
    common = [name for name in COMMON_TIME_ZONES if name in zones]
    return [(_("Common time zones"), [(name, _zone_label(name)) for name in common]),
            (_("All time zones"), [(name, _zone_label(name)) for name in zones
                                   if name not in common])]


class ContactDetailsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices,
                                  widget=forms.Select(attrs={"data-tz-picker": True}))

    class Meta:
        model = User
        fields = ["full_name", "phone", "job_title", "language", "time_zone"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["language"].choices = [("", _("Same as my browser"))] + list(
            User.Language.choices)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32,
        help_text=_("The 6-digit code your authenticator app shows, or a recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "autocapitalize": "off", "spellcheck": "false"}))
