"""Edits saved from a page opened earlier: the edit form carries the version of the record it showed — a digest of
the record's audit snapshot, the same dict its update event records as `before` — and the update service refuses
to save over a record changed since (a lost update: the secretary and the 组织委员 of a branch editing the same
record, the second save silently undoing the first). No column is needed: whatever the snapshot shows is what a
version covers, and a change the snapshot does not show cannot be lost by saving it again. A record whose audit
snapshot masks personal data passes a snapshot of the fields its form edits instead (a masked 身份证号 corrected in
its hidden digits would not change the audit snapshot).

A refusal names who changed the record and when (its latest audit event) and carries the current version, which the
page puts in the form (`Stale.current`): submitting again, after looking at the record, saves the page's values over
it knowingly."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.errors import ServiceError

FIELD = "version"  # the edit form's hidden field


def version(snapshot: dict[str, Any]) -> str:
    """The version of a record whose snapshot is `snapshot` (16 hex digits): keyed with the site's secret, so that
    a snapshot of personal data (a member's unmasked fields) cannot be guessed back from the page."""
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


class Stale(ServiceError):
    """The record changed after the page was opened; nothing was saved. `current`: its version now."""

    def __init__(self, message: str, current: str):
        super().__init__(message)
        self.current = current


def check(expected: str | None, snapshot: dict[str, Any], obj) -> None:
    """Raises Stale when the form was opened on another version of `obj` than the one `snapshot` (read under the
    service's row lock) shows. `expected` None or "": a caller without a page (an import, a command, a test) — not
    checked."""
    if not expected:
        return
    current = version(snapshot)
    if expected == current:
        return
    from dangjian.core.audit import WRITE_ACTIONS
    from dangjian.core.models import AuditEvent

    last = (  # the latest change (not someone who only read it since: a 查看个人信息 event is the record's too)
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action__in=WRITE_ACTIONS
        )
        .order_by("-id")
        .values_list("actor_label", "at")
        .first()
    )
    if last is None:
        message = _("您打开此页后，这条记录已被修改，本页的修改尚未保存。")
    else:
        message = _("您打开此页后，这条记录已由%(who)s于%(when)s修改，本页的修改尚未保存。") % {
            "who": last[0],
            "when": f"{timezone.localtime(last[1]):%Y-%m-%d %H:%M}",
        }
    raise Stale(
        message + _("请在新窗口打开这条记录核对最新内容；确认无误后再次提交，将以本页内容为准保存。"),
        current,
    )
