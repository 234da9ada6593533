from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    name = "dangjian.dues"
    label = "dues"
    verbose_name = _("党费")

    def ready(self) -> None:
        from dangjian.core.imports import register_write_context
        from dangjian.dues import rules, snapshots, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)

        snapshots.connect()
        # one set-based refresh of the ledger snapshots for a whole members file
        register_write_context("members", snapshots.deferred)
