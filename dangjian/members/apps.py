from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = _("党员")

    def ready(self) -> None:
        from dangjian.members import timeline  # noqa: F401  registers the foundation's timeline sources
