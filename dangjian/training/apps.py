from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "dangjian.training"
    label = "training"
    verbose_name = _("培训与学习")

    def ready(self) -> None:
        from dangjian.core.audit import register_snapshot_labels
        from dangjian.training import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)

        register_snapshot_labels(
            "training.training", {"completed": _("已完成培训"), "participants": _("参训人员")}
        )  # the audit page
