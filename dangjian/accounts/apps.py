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
