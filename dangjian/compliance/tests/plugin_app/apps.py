from django.apps import AppConfig


class PluginAppConfig(AppConfig):
    """An app that exists only in the tests: it plugs a new check kind into the engine, as a domain app does."""

    name = "dangjian.compliance.tests.plugin_app"
    label = "compliance_test_plugin"

    def ready(self) -> None:
        from dangjian.compliance.tests.plugin_app import rules  # noqa: F401  (the compliance plug-in)
