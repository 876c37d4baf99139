from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import oidc, services
from .forms import ContactDetailsForm, LanguageForm, LoginForm, PasswordResetForm
from .middleware import LANGUAGE_OFFER_KEY, SESSION_LANGUAGE_KEY

DETAILS_SAVED_FIRST = gettext_lazy("Thank you: your contact details are confirmed. Welcome to "
                                   "the Support Center!")
DETAILS_SAVED = gettext_lazy("Your contact details are saved.")
LANGUAGE_SAVED = gettext_lazy("Language saved on your profile.")


def _keep_login_page_language(request) -> None:
    """A language picked on the login page (its cookie) that differs from the profile's
    stays for this session, and the next page offers to save it on the profile."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    user = request.user
    if (chosen in dict(settings.LANGUAGES) and user.organization_id is not None
            and chosen != (user.language or "")):
        request.session[SESSION_LANGUAGE_KEY] = chosen
        request.session[LANGUAGE_OFFER_KEY] = chosen


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # Unchecked: the session ends when the browser closes; checked: SESSION_COOKIE_AGE.
        self.request.session.set_expiry(None if form.cleaned_data.get("remember_me") else 0)
        _keep_login_page_language(self.request)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.OIDC_ENABLED
        return context


class LogoutView(auth_views.LogoutView):
    """Ends the helpdesk session; after a portal sign-in, offers the provider's end-session
    endpoint too (when it has one)."""

    def post(self, request, *args, **kwargs):
        id_token = (request.session.get("oidc_id_token", "")
                    if request.session.get(oidc.SSO_SESSION_KEY) else "")
        response = super().post(request, *args, **kwargs)
        end_session = oidc.end_session_url(
            id_token=id_token,
            post_logout_redirect_uri=request.build_absolute_uri(reverse("accounts:login")))
        if end_session:
            return render(request, "accounts/signed_out.html", {"end_session_url": end_session})
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def safe_next(request, target: str, default: str) -> str:
    """`target` when it is a URL of this site, else `default` (a URL or a URL name)."""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
def confirm_details(request):
    first_time = request.user.details_confirmed_at is None
    session_language = request.session.get(SESSION_LANGUAGE_KEY, "")
    form = ContactDetailsForm(request.POST or None, instance=request.user,
                              initial={"language": session_language} if session_language
                              else None)
    if request.method == "POST" and form.is_valid():
        services.contact_details_confirm(user=request.user, **form.cleaned_data)
        request.session.pop(SESSION_LANGUAGE_KEY, None)  # the profile now says it
        messages.success(request, DETAILS_SAVED_FIRST if first_time else DETAILS_SAVED)
        return redirect(safe_next(request, request.GET.get("next", ""), "tickets:my_tickets"))
    return render(request, "accounts/confirm_details.html", {
        "form": form, "first_time": first_time})


@require_POST
def language_switch(request):
    """Set the page language; a signed-in contact keeps it as their preference."""
    form = LanguageForm(request.POST)
    if form.is_valid() and request.user.is_authenticated:
        services.contact_language_set(user=request.user,
                                      language=form.cleaned_data["language"])
        request.session.pop(SESSION_LANGUAGE_KEY, None)
        messages.success(request, LANGUAGE_SAVED)
    return set_language(request)
