from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "dangjian.elections"
    label = "elections"
    verbose_name = _("换届选举")

    def ready(self) -> None:
        from dangjian.elections import rules, workbench  # noqa: F401  (the compliance plug-in; the workbench)
