from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = _("党员")

    def ready(self) -> None:
        # registers the member counts and panels of the organisation pages, and the timeline sources
        from dangjian.members import org_panels, timeline  # noqa: F401
