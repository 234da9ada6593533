from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.orgs.choices import OrgType


class MeetingType(models.TextChoices):
    ASSEMBLY = "assembly", _("支部党员大会")
    COMMITTEE = "committee", _("支部委员会")
    GROUP = "group", _("党小组会")
    LECTURE = "lecture", _("党课")
    THEME_DAY = "theme_day", _("主题党日")
    ORG_LIFE = "org_life", _("组织生活会")
    MEMBER_REVIEW = "member_review", _("民主评议党员")
    DEMOCRATIC_LIFE = "democratic_life", _("民主生活会")
    CENTRAL_GROUP = "central_group", _("理论学习中心组学习")
    TALK = "talk", _("谈心谈话")


class AbsenceReason(models.TextChoices):
    """Why a member on the roster did not attend: a recorded reason (病假, 公差, or 其他 with its text) is what
    the attendance rules accept as a reason; a blank kind is an absence without a recorded reason."""

    SICK = "sick", _("病假")
    OFFICIAL = "official", _("公差")
    OTHER = "other", _("其他")


class OrgLifeReviewDecision(models.TextChoices):
    """The branch's conclusion on a member absent from organizational life for months (党章 第九条): a person
    decides; recording it never changes the member's status."""

    JUSTIFIED = "justified", _("有正当理由")
    NOT_JUSTIFIED = "not_justified", _("无正当理由，按规定处理")
    PENDING_CONTACT = "contact", _("正在联系核实")


class Roster(models.TextChoices):
    """Who is expected (应到) at a meeting of a type, computed from the records on the meeting's date."""

    MEMBERS = "members", _("本组织及所属党小组的党员")
    COMMITTEE = "committee", _("支部委员会成员")
    LEADERSHIP = "leadership", _("党组成员")
    NONE = "none", _("不统计出席")


ROSTER_OF_TYPE: dict[str, str] = {
    MeetingType.ASSEMBLY: Roster.MEMBERS,
    MeetingType.LECTURE: Roster.MEMBERS,
    MeetingType.THEME_DAY: Roster.MEMBERS,
    MeetingType.ORG_LIFE: Roster.MEMBERS,
    MeetingType.MEMBER_REVIEW: Roster.MEMBERS,
    MeetingType.GROUP: Roster.MEMBERS,  # recorded in a 党小组: its members
    MeetingType.COMMITTEE: Roster.COMMITTEE,
    MeetingType.DEMOCRATIC_LIFE: Roster.LEADERSHIP,
    MeetingType.CENTRAL_GROUP: Roster.LEADERSHIP,
    MeetingType.TALK: Roster.NONE,
}

# The types each organisation type may record.
TYPES_FOR_ORG: dict[str, frozenset[str]] = {
    OrgType.ZHIBU: frozenset(
        {
            MeetingType.ASSEMBLY,
            MeetingType.COMMITTEE,
            MeetingType.LECTURE,
            MeetingType.THEME_DAY,
            MeetingType.ORG_LIFE,
            MeetingType.MEMBER_REVIEW,
            MeetingType.TALK,
        }
    ),
    OrgType.XIAOZU: frozenset(
        {
            MeetingType.GROUP,
            MeetingType.LECTURE,
            MeetingType.THEME_DAY,
            MeetingType.ORG_LIFE,
            MeetingType.MEMBER_REVIEW,
            MeetingType.TALK,
        }
    ),
    OrgType.DANGZU: frozenset({MeetingType.DEMOCRATIC_LIFE, MeetingType.CENTRAL_GROUP, MeetingType.LECTURE}),
    OrgType.DANGWEI: frozenset({MeetingType.COMMITTEE, MeetingType.LECTURE, MeetingType.CENTRAL_GROUP}),
    OrgType.ZONGZHI: frozenset({MeetingType.COMMITTEE, MeetingType.LECTURE, MeetingType.ASSEMBLY}),
    OrgType.GONGWEI: frozenset({MeetingType.COMMITTEE, MeetingType.LECTURE, MeetingType.CENTRAL_GROUP}),
}
