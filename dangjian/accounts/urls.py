from django.contrib.auth import views as auth_views
from django.urls import path

from dangjian.accounts.forms import LoginForm
from dangjian.accounts.views import (
    PasswordChange,
    account_security,
    locks,
    otp_disable,
    otp_recovery_codes,
    otp_setup,
    otp_verify,
)

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("login/verify/", otp_verify, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("security/", account_security, name="account_security"),
    path("security/setup/", otp_setup, name="otp_setup"),
    path("security/disable/", otp_disable, name="otp_disable"),
    path("security/recovery-codes/", otp_recovery_codes, name="otp_recovery_codes"),
    path("password/", PasswordChange.as_view(), name="password_change"),
    path("locks/", locks, name="locks"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
