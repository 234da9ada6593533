from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "dangjian.pipeline"
    label = "pipeline"
    verbose_name = _("发展党员")

    def ready(self) -> None:
        from dangjian.pipeline import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)
