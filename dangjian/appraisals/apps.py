from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalsConfig(AppConfig):
    name = "dangjian.appraisals"
    label = "appraisals"
    verbose_name = _("述职评议")

    def ready(self) -> None:
        from dangjian.appraisals import rules, workbench  # noqa: F401  (check kind, workbench provider)
        from dangjian.core.audit import register_snapshot_labels

        register_snapshot_labels(
            "appraisals.subject", {"file": _("述职报告文件"), "uploaded_on": _("上传日期")}
        )
        register_snapshot_labels(
            "appraisals.campaign",
            {
                "closed_without_date": _("结束时未登记述职日期（人）"),
                "closed_without_report": _("结束时未上传述职报告（人）"),
            },
        )
