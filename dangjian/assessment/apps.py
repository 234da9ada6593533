from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "dangjian.assessment"
    verbose_name = _("机关党建考核")

    def ready(self) -> None:
        from dangjian.assessment import workbench  # noqa: F401  (the 整顿 of 后进 branches on the work list)
        from dangjian.core.audit import register_snapshot_labels

        register_snapshot_labels(
            "assessment.round", {"contest": _("提出异议"), "claimed": _("认为应得的分数")}
        )
