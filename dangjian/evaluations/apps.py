from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "dangjian.evaluations"
    label = "evaluations"
    verbose_name = _("民主评议党员")

    def ready(self) -> None:
        from dangjian.core.audit import register_snapshot_labels
        from dangjian.evaluations import rules, timeline, workbench  # noqa: F401  (checks, timeline source, workbench)

        register_snapshot_labels("evaluations.evaluation", {"formal": _("正式党员人数")})  # the audit page
