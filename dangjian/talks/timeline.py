"""Timeline source "talks": a member's 谈心谈话 (with whom, the category), 新老结对 and 青年理论学习小组
memberships and activities attended. Six queries whatever the number of records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _

from dangjian.members.timeline import TimelineEvent, register_timeline_group, register_timeline_source
from dangjian.talks.categories import categories_of, committee_on
from dangjian.talks.choices import TalkCategory
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup
from dangjian.talks.selectors import committee_posts

# 谈心谈话 and study groups are part of 组织生活 on the timeline page's filter
register_timeline_group("talks.", "meetings")


def _talk_events(member, on: dt.date) -> list[TimelineEvent]:
    talks = list(Talk.objects.filter(participants=member, date__lte=on).select_related("org"))
    if not talks:
        return []
    people: dict[int, list[tuple[int, str]]] = {t.pk: [] for t in talks}
    for talk_id, member_id, name in (
        Talk.participants.through.objects.filter(talk_id__in=list(people))
        .order_by("member__name_pinyin", "member__name")
        .values_list("talk_id", "member_id", "member__name")
    ):
        people[talk_id].append((member_id, name))
    dates = [t.date for t in talks]
    posts = committee_posts({t.org_id for t in talks}, min(dates), max(dates))
    events = []
    for talk in talks:
        ids = [i for i, _n in people[talk.pk]]
        categories = categories_of(ids, committee_on(posts.get(talk.org_id, ()), talk.date))
        others = "、".join(n for i, n in people[talk.pk] if i != member.pk)
        events.append(
            TimelineEvent(
                date=talk.date,
                kind="talks.talk",
                title=_("与%(names)s谈心谈话") % {"names": others},
                detail="、".join(str(TalkCategory(c).label) for c in categories),
                org_code=talk.org.code,
                order=7,
            )
        )
    return events


@register_timeline_source("talks")
def talk_events(member, on: dt.date) -> list[TimelineEvent]:
    events = _talk_events(member, on)
    pairs = Pair.objects.filter(Q(mentor=member) | Q(mentee=member), started_on__lte=on)
    for pair in pairs.select_related("mentor", "mentee", "org").order_by("started_on", "id"):
        other = pair.mentee if pair.mentor_id == member.pk else pair.mentor
        role = _("结对帮带") if pair.mentor_id == member.pk else _("结对学习")
        events.append(
            TimelineEvent(
                date=pair.started_on,
                kind="talks.pair",
                title=_("新老结对：%(role)s（%(name)s）") % {"role": role, "name": other.name},
                detail=_("结对目标：%(goal)s") % {"goal": pair.goal},
                org_code=pair.org.code,
                order=7,
            )
        )
        if pair.ended_on and pair.ended_on <= on:
            events.append(
                TimelineEvent(
                    date=pair.ended_on,
                    kind="talks.pair_ended",
                    title=_("新老结对结束（%(name)s）") % {"name": other.name},
                    org_code=pair.org.code,
                    order=7,
                )
            )
    for group in YouthGroup.objects.filter(members=member, founded_on__lte=on).select_related("org"):
        events.append(
            TimelineEvent(
                date=group.founded_on,
                kind="talks.youth_group",
                title=_("青年理论学习小组成员：%(name)s") % {"name": group.name},
                detail=_("组长") if group.leader_id == member.pk else "",
                org_code=group.org.code,
                order=7,
            )
        )
    for activity in YouthActivity.objects.filter(participants=member, date__lte=on).select_related(
        "group", "group__org"
    ):
        events.append(
            TimelineEvent(
                date=activity.date,
                kind="talks.youth_activity",
                title=_("参加青年理论学习小组活动"),
                detail=f"{activity.topic}（{activity.group.name}）",
                org_code=activity.group.org.code,
                order=7,
            )
        )
    return events
