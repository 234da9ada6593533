from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "dangjian.compliance"
    verbose_name = "规则与合规"

    def ready(self) -> None:
        from dangjian.compliance import export, kept  # noqa: F401  (export: registers the results' export)

        kept.connect()  # refresh the kept results after every write
