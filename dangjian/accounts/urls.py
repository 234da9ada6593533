from django.contrib.auth import views as auth_views
from django.urls import path

from dangjian.accounts.forms import LoginForm
from dangjian.accounts.views import PasswordChange, locks

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChange.as_view(), name="password_change"),
    path("locks/", locks, name="locks"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
