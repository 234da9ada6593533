from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = _("党员")

    def ready(self) -> None:
        # registers the member counts and panels of the organisation pages, and the timeline sources
        from dangjian.core.backup import RESTORE_CHECKS
        from dangjian.members import exports, org_panels, timeline  # noqa: F401  (the roll's export too)
        from dangjian.members.backup_checks import sample_decrypts

        if sample_decrypts not in RESTORE_CHECKS:
            RESTORE_CHECKS.append(sample_decrypts)
