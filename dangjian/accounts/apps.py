from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        from dangjian.accounts.scope import fresh_scope
        from dangjian.core.imports import register_scope_loader

        register_scope_loader(fresh_scope)  # imports check every row against the actor's scope

        # Sign-ins, failures (and locks) and sign-outs in the audit trail (accounts.signin). Connected after
        # django-axes' receivers (axes comes first in INSTALLED_APPS): a failure is counted before it is recorded.
        from django.contrib.auth import signals

        from dangjian.accounts import signin

        signals.user_logged_in.connect(signin.on_logged_in, dispatch_uid="dangjian_audit_login")
        signals.user_logged_out.connect(signin.on_logged_out, dispatch_uid="dangjian_audit_logout")
        signals.user_login_failed.connect(signin.on_login_failed, dispatch_uid="dangjian_audit_login_failed")
