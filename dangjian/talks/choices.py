"""Choices of the 谈心谈话 records and the pair categories (BR-17)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TalkForm(models.TextChoices):
    IN_PERSON = "in_person", _("面谈")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")
    OTHER = "other", _("其他")


class TalkCategory(models.TextChoices):
    """The three pair categories of 谈心谈话 (支部工作条例 第十九条, BR-17), derived from the posts held on the
    talk's date — never typed in. The values are the keys of the JSON output of `dangjian talks summary`."""

    COMMITTEE_COMMITTEE = "committee_committee", _("支委之间")
    COMMITTEE_MEMBER = "committee_member", _("支委与党员")
    MEMBER_MEMBER = "member_member", _("党员之间")


CATEGORY_ORDER = (
    TalkCategory.COMMITTEE_COMMITTEE.value,
    TalkCategory.COMMITTEE_MEMBER.value,
    TalkCategory.MEMBER_MEMBER.value,
)
