from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The pages that span every app: the dashboard, the audit trail and the Excel import pages. It sits
    at the top of the layering, beside the demo data, so that core imports no app above it."""

    name = "dangjian.portal"
    label = "portal"
    verbose_name = _("首页与通用页面")

    def ready(self) -> None:
        # 政治生日 in the workbench; the audit log's export (registered with core.exports) and its words for some
        # snapshot keys
        from dangjian.portal import auditexport, auditlog, workbench  # noqa: F401

        auditlog.register_labels()
