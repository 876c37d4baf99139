"""Sign-in with the customer portal (accounts.sso_views), mounted at /sso/."""

from django.urls import path

from . import sso_views

app_name = "sso"
urlpatterns = [
    path("", sso_views.SsoStartView.as_view(), name="start"),
    path("callback/", sso_views.SsoCallbackView.as_view(), name="callback"),
]
