from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"
    verbose_name = _("组织")

    def ready(self) -> None:
        from dangjian.accounts.services import register_role_org_check
        from dangjian.orgs.roles import check_role_org

        register_role_org_check(check_role_org)  # a role is granted only over the organisation types it names
