from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    label = "meetings"
    verbose_name = _("组织生活")

    def ready(self) -> None:
        from dangjian.meetings import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)
