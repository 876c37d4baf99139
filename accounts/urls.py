from django.urls import path

from . import security_views, token_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("confirm-details/", views.confirm_details, name="confirm_details"),
    path("language/", views.language_switch, name="language"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("profile/", security_views.profile, name="profile"),
    path("profile/sessions/sign-out/", security_views.sessions_sign_out,
         name="sessions_sign_out"),
    path("profile/tokens/", token_views.api_token_create, name="api_token_create"),
    path("profile/tokens/<int:token_id>/revoke/", token_views.api_token_revoke,
         name="api_token_revoke"),
    path("password/", security_views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", security_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", security_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", security_views.recovery_codes_new,
         name="two_factor_recovery_codes"),
    path("two-factor/disable/", security_views.two_factor_disable, name="two_factor_disable"),
]
