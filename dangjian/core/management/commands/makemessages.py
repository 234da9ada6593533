"""`dangjian makemessages`: Django's, also extracting the msgids of kept messages (core.messages):
`Message("…")` and `Message.plural("…", n=…)` (the same Chinese text as singular and plural msgid), and the
labels of the modules that import gettext_lazy as `_l`."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=Message",
        "--keyword=plural:1,1",
        "--keyword=_l",
    ]
