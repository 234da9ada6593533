from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MovementsConfig(AppConfig):
    name = "dangjian.movements"
    label = "movements"
    verbose_name = _("党员状态与流动")

    def ready(self) -> None:
        from dangjian.core.audit import register_snapshot_labels
        from dangjian.movements import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)

        register_snapshot_labels("movements.mobilecontact", {"member": _("党员")})  # the audit page
        from dangjian.movements.services import pending_transfers_blocking
        from dangjian.orgs.services import register_dissolution_check

        register_dissolution_check(
            pending_transfers_blocking
        )  # no 撤销 while a 转接 into or out of it is pending
