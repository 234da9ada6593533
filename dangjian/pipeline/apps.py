from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "dangjian.pipeline"
    label = "pipeline"
    verbose_name = _("发展党员")

    def ready(self) -> None:
        from dangjian.core.audit import register_snapshot_labels
        from dangjian.pipeline import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)

        # the audit page: a step's snapshot names it, and its key is a code of the workflow file
        register_snapshot_labels(
            "pipeline.casestep", {"step": _("步骤名称")}, values={"key": rules.step_name}
        )
