from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo-data generator (`dangjian seed`): the top layer, it may import every app."""

    name = "dangjian.demo"
    label = "demo"
    verbose_name = _("演示数据")
