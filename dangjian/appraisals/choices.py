"""Choices of 述职评议: a campaign's states (forward only), the four ratings of a 测评 item, and how the 测评
participants are chosen."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """A campaign moves forward one state at a time, never back."""

    DRAFT = "draft", _("准备")
    REPORTING = "reporting", _("述职")
    VOTING = "voting", _("测评")
    CLOSED = "closed", _("已结束")


STATE_ORDER = [s.value for s in State]
# items, weights and participants are edited until the 测评 opens; subjects are added until then too
EDITABLE_STATES = frozenset({State.DRAFT.value, State.REPORTING.value})
# a final report may be uploaded (or replaced), and the 述职日期 recorded, until the campaign closes; after the
# closing a missing one may still be added (`MISSING_ONLY_STATES`): the report is the record of what was done, while
# the scores and the ballots stay frozen
UPLOAD_STATES = frozenset({State.DRAFT.value, State.REPORTING.value, State.VOTING.value})
MISSING_ONLY_STATES = frozenset({State.CLOSED.value})


class Rating(models.TextChoices):
    GOOD = "good", _("好")
    FAIRLY_GOOD = "fairly_good", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")


RATING_ORDER = [r.value for r in Rating]


class ParticipantRole(models.TextChoices):
    """Who receives a 测评票, by role (resolved when the 测评 opens) — an explicit list is added to them."""

    COMMITTEE = "committee", _("该组织委员会委员")
    MEMBERS = "members", _("所属组织全体正式党员")


class ParticipantSource(models.TextChoices):
    LISTED = "listed", _("指定名单")
    COMMITTEE = "committee", _("该组织委员会委员")
    MEMBERS = "members", _("所属组织全体正式党员")
