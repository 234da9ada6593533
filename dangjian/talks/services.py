"""Writes of 谈心谈话, 新老结对 and 青年理论学习小组. Each service validates, checks scope inside its transaction
(`require_org`), writes and records an audit event; a refused write raises ServiceError and changes nothing.
Nothing said in a talk is ever stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.scope import require_org
from dangjian.core import audit, edits
from dangjian.core.choices import choice_label
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.meetings.roster import members_in_subtree
from dangjian.members.models import Member
from dangjian.members.services import require_members
from dangjian.orgs.choices import OrgType, chinese_label
from dangjian.orgs.models import Org
from dangjian.talks.choices import TalkForm
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup

GOAL_MAX = 200
TOPIC_MAX = 200
NAME_MAX = 100


def _branch(org: Org | None, field: str = "org") -> Org:
    if org is None:
        raise ServiceError(_("请选择党支部。"), field=field)
    if org.type != OrgType.ZHIBU:
        raise ServiceError(
            _("只能为党支部登记，“%(org)s”是%(type)s。")
            % {"org": org.name, "type": choice_label(OrgType, org.type)},
            field=field,
        )
    return org


def _date(value, field: str, label: str) -> dt.date:
    """`label`: the date's name as it reads inside a sentence, translated."""
    if not isinstance(value, dt.date):
        raise ServiceError(_("请填写%(label)s。") % {"label": label}, field=field)
    if value > dt.date.today():
        raise ServiceError(_("%(label)s不能晚于今天。") % {"label": label}, field=field)
    return value


def _ids(members: Iterable) -> list[int]:
    return sorted({m.pk if hasattr(m, "pk") else int(m) for m in members or ()})


def _names(ids: Iterable[int]) -> list[str]:
    by_id = dict(Member.objects.filter(pk__in=list(ids)).values_list("pk", "name"))
    return [by_id.get(i, str(i)) for i in ids]


# --- 谈心谈话 -------------------------------------------------------------------------------------------


def talk_snapshot(talk: Talk, names: list[str]) -> dict[str, Any]:
    return {
        "org": talk.org.code,
        "date": talk.date,
        "form": chinese_label(TalkForm, talk.form) if talk.form else "",
        "participants": "、".join(names),
    }


def record_talk(*, actor, org: Org, date: dt.date, participants: Iterable, form: str = "") -> Talk:
    """Records that two or more members of the branch (or its 党小组) on `date` talked. Refused: not a 党支部,
    a future date, fewer than two people, someone not in the branch on that date, out of scope."""
    org = _branch(org)
    date = _date(date, "date", pgettext("in a sentence", "谈话日期"))
    form = form or ""
    if form and form not in TalkForm.values:
        raise ServiceError(_("谈话形式无效。"), field="form")
    if org.dissolved_on is not None and date >= org.dissolved_on:
        raise ServiceError(
            _("%(org)s已于%(date)s撤销。") % {"org": org.name, "date": f"{org.dissolved_on:%Y-%m-%d}"},
            field="date",
        )
    ids = _ids(participants)
    if len(ids) < 2:
        raise ServiceError(_("谈心谈话至少需要两名党员。"), field="participants")
    with transaction.atomic():
        require_org(actor, org, _("所选党支部不在您的管理范围内，未登记谈心谈话。"))
        require_members(actor, ids, "participants")  # before any name is shown
        on_roll = {e.member_id for e in members_in_subtree(org, date)}
        outside = [i for i in ids if i not in on_roll]
        if outside:
            raise ServiceError(
                _("%(names)s在%(date)s不是%(org)s（含所属党小组）的党员。")
                % {"names": enumeration(_names(outside)), "date": f"{date:%Y-%m-%d}", "org": org.name},
                field="participants",
            )
        talk = Talk.objects.create(
            org=org, date=date, form=form, created_by=actor if getattr(actor, "pk", None) else None
        )
        talk.participants.set(ids)
        audit.record(
            actor=actor, action="create", obj=talk, org_path=org.path, after=talk_snapshot(talk, _names(ids))
        )
    return talk


def delete_talk(*, actor, talk: Talk) -> None:
    with transaction.atomic():
        current = Talk.objects.select_for_update().select_related("org").get(pk=talk.pk)
        require_org(actor, current.org, _("该记录不在您的管理范围内，未删除。"))
        ids = sorted(current.participants.values_list("pk", flat=True))
        audit.record(
            actor=actor,
            action="delete",
            obj=current,
            org_path=current.org.path,
            before=talk_snapshot(current, _names(ids)),
        )
        current.participants.clear()
        current.delete()


# --- 新老结对 -------------------------------------------------------------------------------------------


def pair_snapshot(pair: Pair) -> dict[str, Any]:
    return {
        "org": pair.org.code,
        "mentor": pair.mentor.name,
        "mentee": pair.mentee.name,
        "started_on": pair.started_on,
        "ended_on": pair.ended_on,
        "goal": pair.goal,
    }


def _in_branch(member: Member | None, org: Org, on: dt.date, field: str, label: str) -> Member:
    """`label`: who the member is in the pair, as it reads inside a sentence, translated."""
    if member is None:
        raise ServiceError(_("请选择%(label)s。") % {"label": label}, field=field)
    if not any(e.member_id == member.pk for e in members_in_subtree(org, on)):
        raise ServiceError(
            _("%(names)s在%(date)s不是%(org)s（含所属党小组）的党员。")
            % {"names": member.name, "date": f"{on:%Y-%m-%d}", "org": org.name},
            field=field,
        )
    return member


def _refuse_overlap(
    org: Org, mentor: Member, mentee: Member, started_on: dt.date, ended_on: dt.date | None
) -> None:
    """Refuses a second pairing of the same two members (either way round) in the branch for days one of theirs
    already covers."""
    period = Q(ended_on__isnull=True) | Q(ended_on__gte=started_on)
    if ended_on is not None:
        period &= Q(started_on__lte=ended_on)
    existing = (
        Pair.objects.filter(org=org)
        .filter(Q(mentor=mentor, mentee=mentee) | Q(mentor=mentee, mentee=mentor))
        .filter(period)
        .select_related("mentor", "mentee")
        .order_by("started_on", "pk")
        .first()
    )
    if existing is None:
        return
    if existing.ended_on is None:
        since = _("%(start)s起，尚未结束") % {"start": f"{existing.started_on:%Y-%m-%d}"}
    else:
        since = _("%(start)s至%(end)s") % {
            "start": f"{existing.started_on:%Y-%m-%d}",
            "end": f"{existing.ended_on:%Y-%m-%d}",
        }
    raise ServiceError(
        _(
            "%(mentor)s与%(mentee)s已结对（%(period)s），与本次登记的期间重叠，不能重复登记；"
            "如需重新结对，请先为原结对登记结束日期。"
        )
        % {"mentor": existing.mentor.name, "mentee": existing.mentee.name, "period": since},
        field="mentee",
    )


def create_pair(
    *,
    actor,
    org: Org,
    mentor: Member,
    mentee: Member,
    started_on: dt.date,
    goal: str,
    ended_on: dt.date | None = None,
) -> Pair:
    """新老结对 of two members of the branch on the start date, no later than today (a pairing is recorded once
    begun); who is "老" and who is "新" is the branch's choice (no age or 党龄 rule). The end date, when given, is
    the pairing's last day. The same two members are paired once for any day: a pairing overlapping one of
    theirs is refused."""
    org = _branch(org)
    if not isinstance(started_on, dt.date):
        raise ServiceError(_("请填写开始日期。"), field="started_on")
    if started_on > dt.date.today():
        raise ServiceError(_("结对开始日期不能晚于今天：请在结对开始后登记。"), field="started_on")
    if ended_on is not None and ended_on < started_on:
        raise ServiceError(_("结束日期不能早于开始日期。"), field="ended_on")
    goal = (goal or "").strip()
    if not goal:
        raise ServiceError(_("请填写结对目标。"), field="goal")
    if len(goal) > GOAL_MAX:
        raise ServiceError(_("结对目标不超过%(n)s字。") % {"n": GOAL_MAX}, field="goal")
    if mentor is not None and mentee is not None and mentor.pk == mentee.pk:
        raise ServiceError(_("结对双方不能是同一名党员。"), field="mentee")
    with transaction.atomic():
        require_org(actor, org, _("所选党支部不在您的管理范围内，未登记新老结对。"))
        require_members(actor, [mentor], "mentor")
        require_members(actor, [mentee], "mentee")
        _in_branch(mentor, org, started_on, "mentor", pgettext("in a sentence", "老党员"))
        _in_branch(mentee, org, started_on, "mentee", pgettext("in a sentence", "结对党员"))
        _refuse_overlap(org, mentor, mentee, started_on, ended_on)
        pair = Pair.objects.create(
            org=org, mentor=mentor, mentee=mentee, started_on=started_on, ended_on=ended_on, goal=goal
        )
        audit.record(actor=actor, action="create", obj=pair, org_path=org.path, after=pair_snapshot(pair))
    return pair


def end_pair(*, actor, pair: Pair, ended_on: dt.date) -> Pair:
    """Sets the pairing's last day."""
    if not isinstance(ended_on, dt.date):
        raise ServiceError(_("请填写结束日期。"), field="ended_on")
    with transaction.atomic():
        current = Pair.objects.select_for_update().select_related("org", "mentor", "mentee").get(pk=pair.pk)
        require_org(actor, current.org, _("该结对不在您的管理范围内，未修改。"))
        if ended_on < current.started_on:
            raise ServiceError(_("结束日期不能早于开始日期。"), field="ended_on")
        before = pair_snapshot(current)
        current.ended_on = ended_on
        current.save(update_fields=["ended_on"])
        audit.record(
            actor=actor,
            action="update",
            obj=current,
            org_path=current.org.path,
            before=before,
            after=pair_snapshot(current),
        )
    return current


# --- 青年理论学习小组 ------------------------------------------------------------------------------------


def group_snapshot(group: YouthGroup, member_names: list[str]) -> dict[str, Any]:
    return {
        "name": group.name,
        "org": group.org.code,
        "leader": group.leader.name,
        "founded_on": group.founded_on,
        "members": "、".join(member_names),
    }


def _group_members(org: Org, ids: list[int], leader: Member | None) -> list[int]:
    if leader is None:
        raise ServiceError(_("请选择组长。"), field="leader")
    ids = sorted(set(ids) | {leader.pk})
    found = set(
        Member.objects.on_roll(dt.date.today())
        .filter(pk__in=ids, org__path__startswith=org.path)
        .values_list("pk", flat=True)
    )
    outside = [i for i in ids if i not in found]
    if outside:
        raise ServiceError(
            _("%(names)s不是%(org)s（含下级组织）的在册党员。")
            % {"names": enumeration(_names(outside)), "org": org.name},
            field="leader" if outside == [leader.pk] else "members",
        )
    return ids


def create_youth_group(
    *, actor, org: Org, name: str, leader: Member, members: Iterable, founded_on: dt.date
) -> YouthGroup:
    """A 青年理论学习小组 of an organisation (党组 excluded: it has no members); members are on the roll of the
    organisation's subtree; the leader is always a member."""
    if org is None:
        raise ServiceError(_("请选择所属组织。"), field="org")
    if org.type in (OrgType.DANGZU, OrgType.GONGWEI):
        raise ServiceError(_("青年理论学习小组应设在机关党委、党总支或党支部。"), field="org")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写小组名称。"), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("小组名称不超过%(n)s字。") % {"n": NAME_MAX}, field="name")
    founded_on = _date(founded_on, "founded_on", pgettext("in a sentence", "成立日期"))
    with transaction.atomic():
        require_org(actor, org, _("所选组织不在您的管理范围内，未成立学习小组。"))
        require_members(actor, [leader, *_ids(members)], "members")
        if YouthGroup.objects.filter(org=org, name=name).exists():
            raise ServiceError(
                _("%(org)s已有名为“%(name)s”的学习小组。") % {"org": org.name, "name": name}, field="name"
            )
        ids = _group_members(org, _ids(members), leader)
        group = YouthGroup.objects.create(org=org, name=name, leader=leader, founded_on=founded_on)
        group.members.set(ids)
        audit.record(
            actor=actor,
            action="create",
            obj=group,
            org_path=org.path,
            after=group_snapshot(group, _names(ids)),
        )
    return group


def group_members_snapshot(group: YouthGroup) -> dict[str, Any]:
    """The group's audit snapshot with all its members (those a user may not see too): what the version of the
    group's page (core.edits) covers."""
    return group_snapshot(group, _names(sorted(group.members.values_list("pk", flat=True))))


def update_youth_group_members(
    *, actor, group: YouthGroup, leader: Member, members: Iterable, version: str | None = None
) -> YouthGroup:
    """Replaces the group's members and leader (past activities keep their attendance). `version`: the group's
    version its page showed (core.edits, of `group_members_snapshot`): a group changed since is refused
    (core.edits.Stale), not saved over — its whole list of members is replaced; None (no page) is not checked."""
    with transaction.atomic():
        current = YouthGroup.objects.select_for_update().select_related("org", "leader").get(pk=group.pk)
        require_org(actor, current.org, _("该学习小组不在您的管理范围内，未修改。"))
        kept = set(current.members.values_list("pk", flat=True))  # members the actor may not see stay
        before = group_snapshot(current, _names(sorted(kept)))
        edits.check(version, before, current)
        require_members(actor, [leader, *(i for i in _ids(members) if i not in kept)], "members")
        ids = _group_members(current.org, _ids(members), leader)
        current.leader = leader
        current.save(update_fields=["leader"])
        current.members.set(ids)
        audit.record(
            actor=actor,
            action="update",
            obj=current,
            org_path=current.org.path,
            before=before,
            after=group_snapshot(current, _names(ids)),
        )
    return current


def activity_snapshot(activity: YouthActivity, names: list[str]) -> dict[str, Any]:
    return {
        "group": activity.group.name,
        "date": activity.date,
        "topic": activity.topic,
        "participants": "、".join(names),
    }


def record_youth_activity(
    *, actor, group: YouthGroup, date: dt.date, topic: str, participants: Iterable
) -> YouthActivity:
    """An activity of the group: date, topic, and who attended (members of the group; at least one)."""
    date = _date(date, "date", pgettext("in a sentence", "活动日期"))
    topic = (topic or "").strip()
    if not topic:
        raise ServiceError(_("请填写学习主题。"), field="topic")
    if len(topic) > TOPIC_MAX:
        raise ServiceError(_("学习主题不超过%(n)s字。") % {"n": TOPIC_MAX}, field="topic")
    ids = _ids(participants)
    if not ids:
        raise ServiceError(_("请选择参加人员。"), field="participants")
    with transaction.atomic():
        current = YouthGroup.objects.select_related("org").get(pk=group.pk)
        require_org(actor, current.org, _("该学习小组不在您的管理范围内，未登记活动。"))
        require_members(actor, ids, "participants")
        if date < current.founded_on:
            raise ServiceError(_("活动日期不能早于小组成立日期。"), field="date")
        in_group = set(current.members.values_list("pk", flat=True))
        outside = [i for i in ids if i not in in_group]
        if outside:
            raise ServiceError(
                _("%(names)s不是本小组成员。") % {"names": enumeration(_names(outside))}, field="participants"
            )
        activity = YouthActivity.objects.create(group=current, date=date, topic=topic)
        activity.participants.set(ids)
        audit.record(
            actor=actor,
            action="create",
            obj=activity,
            org_path=current.org.path,
            after=activity_snapshot(activity, _names(ids)),
        )
    return activity
