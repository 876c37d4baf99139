"""/sso/ (the deep link the portal uses: /sso/?next=/tickets/) and /sso/callback/.

Both answer 404 unless settings.OIDC_ENABLED. Every failure, from the provider (declined
consent, an error, an expired code, a token that does not verify, no answer) or from our
rules (accounts.oidc.PortalSignInRefused), is a page of the site in the user's language,
logged for staff: never a 500."""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils import translation
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    get_next_url,
)

from .oidc import PROBLEMS, SSO_SESSION_KEY, PortalSignInRefused

logger = logging.getLogger("accounts.oidc")


def problem_page(request, code: str, *, locale: str = ""):
    title, message, status = PROBLEMS[code]
    context = {"title": title, "message": message, "code": code,
               "next": request.session.get("oidc_login_next") or ""}
    if locale in dict(settings.LANGUAGES) and not request.user.is_authenticated:
        with translation.override(locale):
            return render(request, "accounts/sso_problem.html", context, status=status)
    return render(request, "accounts/sso_problem.html", context, status=status)


class SsoStartView(OIDCAuthenticationRequestView):
    """Redirects to the provider's authorization endpoint (state, nonce, PKCE challenge);
    `next` is kept when it is on this site. Already signed in: straight to `next`."""

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        if request.user.is_authenticated:
            return redirect(get_next_url(request, "next")
                            or resolve_url(settings.LOGIN_REDIRECT_URL))
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        error = request.GET.get("error")
        if error:
            self._state_forget(request)
            logger.warning("Portal sign-in: the provider answered %r (%s)", error[:100],
                           request.GET.get("error_description", "")[:200])
            return problem_page(request, "denied" if error == "access_denied"
                                else "provider_error")
        state = request.GET.get("state", "")
        if not request.GET.get("code") or state not in (request.session.get("oidc_states")
                                                        or {}):
            logger.warning("Portal sign-in refused: no code or a state this browser did not "
                           "start (expired session, replay or tampering)")
            return problem_page(request, "state")
        try:
            return super().get(request)
        except PortalSignInRefused as refusal:
            logger.warning("Portal sign-in refused: %s", refusal.code)
            return problem_page(request, refusal.code, locale=refusal.locale)
        except SuspiciousOperation as failure:
            logger.warning("Portal sign-in refused: %s", failure)
            return problem_page(request, "invalid_token")
        except requests.HTTPError as failure:
            status = failure.response.status_code if failure.response is not None else 0
            logger.warning("Portal sign-in: the provider answered HTTP %s: %s", status,
                           str(failure)[:300])
            return problem_page(request, "expired" if 400 <= status < 500 else "unavailable")
        except requests.RequestException as failure:
            logger.error("Portal sign-in: the provider is unreachable: %r", failure)
            return problem_page(request, "unavailable")

    @staticmethod
    def _state_forget(request) -> None:
        states = request.session.get("oidc_states") or {}
        if states.pop(request.GET.get("state", ""), None) is not None:
            request.session["oidc_states"] = states

    def login_success(self):
        response = super().login_success()
        # As a password sign-in without "remember me": the session ends with the browser.
        self.request.session.set_expiry(0)
        self.request.session[SSO_SESSION_KEY] = True
        self.request.session.pop("oidc_login_next", None)
        return response

    def login_failure(self):
        return problem_page(self.request, "inactive")
