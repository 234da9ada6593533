from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """Reminders: the workbench's items (portal.workbench) turned into notifications for the people who must
    act, the notification centre and the header's unread count. It sits above the portal, whose work list it
    reads; nothing below imports it."""

    name = "dangjian.reminders"
    label = "reminders"
    verbose_name = _("提醒")
