from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    name = "dangjian.talks"
    label = "talks"
    verbose_name = _("谈心谈话与结对")

    def ready(self) -> None:
        from dangjian.talks import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)
