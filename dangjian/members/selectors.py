"""Reads of the member registry for pages and exports. Every read starts from the user's scope."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from dangjian.core.pinyin import name_key, search_pattern
from dangjian.members import figures
from dangjian.members.choices import MemberStatus, WorkStatus
from dangjian.members.models import Member, MemberHistory
from dangjian.orgs.choices import MEMBER_ORG_TYPES, OrgType
from dangjian.orgs.models import PATH_SEGMENT, Org, Post


def filter_org_options(user) -> QuerySet[Org]:
    """Organisations the user may filter the member list by: everything visible, in tree order (loaded by the
    filter's field, or searched when there are many: `OrgChoiceField`)."""
    return Org.objects.visible_to(user).order_by("path")


def member_org_options(user, *, include: Org | None = None) -> QuerySet[Org]:
    """Organisations a member can be placed in by this user: visible 党支部/党小组 not dissolved, in tree order. Not
    evaluated: the form's picker reads at most `settings.ORG_PICKER_ABOVE` + 1 of them, and above that searches them
    (a 工委管理员's are the city's 4,000 党支部 and 党小组: reading them all cost about 110 ms a form).

    `include` keeps a member's current organisation selectable on the edit form even when it is no
    longer offered (dissolved), so the service can explain why it must change.
    """
    qs = Org.objects.visible_to(user).filter(type__in=MEMBER_ORG_TYPES).active()
    if include is not None:
        qs = Org.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=include.pk))
    return qs.order_by("path")


ALL_STATUSES = "all"


def member_list(user, filters: dict[str, Any]):
    """The member list for `user`, narrowed by the cleaned filter values. Not evaluated: the caller
    paginates (one COUNT, one page query with the organisation joined)."""
    qs = Member.objects.visible_to(user).select_related("org")
    status = filters.get("status") or MemberStatus.NORMAL  # 正常 by default; "all" for every status
    if status != ALL_STATUSES:
        qs = qs.filter(status=status)
    org = filters.get("org")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("work_status"):
        qs = qs.filter(work_status=filters["work_status"])
    if filters.get("is_mobile") in (True, False):
        qs = qs.filter(is_mobile=filters["is_mobile"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(name_q(q))
    return qs


def name_q(query: str) -> Q:
    """Members whose name contains `query` or, for a query in Latin letters, whose name it spells in pinyin, in full
    or by the first letters of its syllables (`core.pinyin.search_pattern`: "wangfang", "wf")."""
    query = query.strip()
    found = Q(name__icontains=query)
    pattern = search_pattern(query)
    if pattern is not None:
        # the query's first letter (the pattern's after "^") as a plain prefix too: the expression is tried on
        # those rows only
        found |= Q(name_pinyin__startswith=pattern[1], name_pinyin__regex=pattern)
    return found


def list_counts(qs) -> dict[str, int]:
    """The filtered set's size and how many of it are 离退休 and 流动党员: one aggregate query."""
    return qs.order_by().aggregate(
        total=Count("pk"),
        retired=Count("pk", filter=Q(work_status=WorkStatus.RETIRED)),
        mobile=Count("pk", filter=Q(is_mobile=True)),
    )


def visible_member(user, pk: int) -> Member:
    """One member the user may see, with its organisation; 404 otherwise."""
    return get_object_or_404(Member.objects.visible_to(user).select_related("org"), pk=pk)


def member_posts(member: Member) -> list[Post]:
    """All posts the member held or holds, with their organisation, current first (one query)."""
    today = dt.date.today()
    posts = list(
        Post.objects.filter(member=member).select_related("org").order_by("-started_on", "org__path")
    )
    for post in posts:  # shown by the member's page
        post.is_current = post.started_on <= today and (  # type: ignore[attr-defined]
            post.ended_on is None or post.ended_on > today
        )
    return sorted(posts, key=lambda p: not p.is_current)  # type: ignore[attr-defined]


def member_history(member: Member) -> list[MemberHistory]:
    """Changes of organisation, category and work status, newest first (one query)."""
    return list(MemberHistory.objects.filter(member=member).select_related("actor__member"))


# --- 政治生日 -------------------------------------------------------------------------------------------


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def anniversary_in(joined_on: dt.date, year: int) -> dt.date:
    """The 入党 anniversary in `year`; 29 February falls on 28 February in a common year (same month)."""
    try:
        return joined_on.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def full_years(since: dt.date, on: dt.date) -> int:
    return on.year - since.year - ((on.month, on.day) < (since.month, since.day))


def branch_of(org: Org) -> Org:
    """The 党支部 a member's organisation belongs to: itself, or the parent of a 党小组 (needs org.parent)."""
    if org.type == OrgType.XIAOZU and org.parent_id:
        parent = org.parent
        if parent is not None:
            return parent
    return org


@dataclass(frozen=True)
class Birthday:
    """A member's 政治生日 in a month: `years` since 入党 (the anniversary), and 党龄, counted from 转正
    (党章; regulations.md DEV-20, MEDIUM) as of the anniversary, None for a 预备党员."""

    member: Member
    branch: Org
    date: dt.date
    years: int
    party_age: int | None


def birthday_of(member: Member, month: dt.date) -> Birthday | None:
    """The member's 政治生日 in `month`, or None (another month, not yet a year, or off the roll)."""
    if member.joined_on.month != month.month or member.joined_on.year >= month.year:
        return None
    last = month_end(month)
    if member.joined_on > last or (member.inactive_from is not None and member.inactive_from <= last):
        return None
    day = anniversary_in(member.joined_on, month.year)
    confirmed = member.confirmed_on
    return Birthday(
        member=member,
        branch=branch_of(member.org),
        date=day,
        years=month.year - member.joined_on.year,
        party_age=full_years(confirmed, day) if confirmed and confirmed <= day else None,
    )


def birthdays(members, month: dt.date) -> list[Birthday]:
    """The members of `members` (a queryset) on the roll at the end of `month` whose 入党 anniversary falls
    in it, by branch, day and name (one query; the members' personal data is neither read nor decrypted)."""
    qs = (
        members.on_roll(month_end(month))
        .filter(joined_on__month=month.month, joined_on__year__lt=month.year)
        .select_related("org", "org__parent")
        .only("pk", "name", "joined_on", "confirmed_on", "inactive_from", "org")
    )
    found = [b for b in (birthday_of(m, month) for m in qs) if b is not None]
    return sorted(
        found, key=lambda b: (b.branch.path, b.date, name_key(b.member.name), b.member.name, b.member.pk)
    )


def birthdays_by_branch(found: list[Birthday]) -> list[tuple[Org, list[Birthday]]]:
    groups: dict[int, tuple[Org, list[Birthday]]] = {}
    for b in found:
        groups.setdefault(b.branch.pk, (b.branch, []))[1].append(b)
    return list(groups.values())


def birthday_panel(user, org: Org, today: dt.date | None = None) -> list[Birthday] | None:
    """本月政治生日 on a 党支部's page during the first BIRTHDAY_PANEL_DAYS days of the month (default 10):
    the branch's and its 党小组's members the user may see. None when the panel is not shown."""
    today = today or dt.date.today()
    if org.type != OrgType.ZHIBU or today.day > getattr(settings, "BIRTHDAY_PANEL_DAYS", 10):
        return None
    return birthdays(Member.objects.visible_to(user).in_subtree(org), today.replace(day=1))


# --- the organisation pages' member parts (registered with dangjian.orgs.panels) ------------------------


def member_counts(user, root: Org | None = None) -> dict[int, int]:
    """Members per organisation within the user's scope (and `root`'s subtree), from the kept figures
    (`members.figures`): one query over the organisations (plus one for an own record outside the scope)."""
    return figures.per_org(user, root)


def member_counts_below(user, org: Org) -> tuple[dict[int, int], dict[str, int]]:
    """Members strictly below `org` within the user's scope: per organisation they are in, and per path of
    `org`'s child whose subtree holds them. From the kept figures: one query over the organisations below
    `org` (plus one for an own record outside the scope)."""
    prefix_len = len(org.path) + PATH_SEGMENT + 1  # "00000001/"
    direct: dict[int, int] = {}
    total: dict[str, int] = {}
    for org_id, path, n in figures.below(user, org):
        direct[org_id] = direct.get(org_id, 0) + n
        total[path[:prefix_len]] = total.get(path[:prefix_len], 0) + n
    return direct, total


def subtree_members(user, org: Org):
    """Members on the roll (党籍 正常) of the organisation and everything below it (for a 党支部: itself and its
    党小组): those the tree and the organisation's figures count (`members.figures`) and the 党员名册 lists by
    default. Not evaluated."""
    return (
        Member.objects.visible_to(user)
        .filter(org__path__startswith=org.path, status=MemberStatus.NORMAL)
        .select_related("org")
        .order_by("org__path", "name_pinyin", "name", "id")
    )


def subtree_roll_counts(user, org: Org) -> tuple[int, int]:
    """How many members of the organisation's subtree the user may see are on the roll (党籍 正常: those
    `subtree_members` lists) and off it (转出, 出党, 死亡, 停止党籍: records kept, listed on the 党员名册 under
    党籍状态 全部): one query, the count the page's paginator would otherwise make."""
    counts = (
        Member.objects.visible_to(user)
        .filter(org__path__startswith=org.path)
        .aggregate(
            on_roll=Count("pk", filter=Q(status=MemberStatus.NORMAL)),
            off_roll=Count("pk", filter=~Q(status=MemberStatus.NORMAL)),
        )
    )
    return counts["on_roll"], counts["off_roll"]


def member_choices(user, org: Org, *, q: str = "", limit: int = 80, within: bool = False) -> list[Member]:
    """Members offered in the post form: those on the roll (党籍 正常: a post is given to a member who is, the
    service refuses anyone else) of the org's subtree (the first `limit`, 80: a page renders at most 100
    options), or any visible member on the roll matching `q` (its search asks for 20); `within`: the matches of
    the org's subtree only (a form's picker of its members, whose field's choices decide who may be picked: a
    past record's roster may name a member since transferred out), whatever their 党籍状态. Each with its
    organisation (its name and 单位: several units have a 办公室党支部), one query."""
    qs = (
        Member.objects.visible_to(user)
        .select_related("org")
        .order_by("org__path", "name_pinyin", "name", "id")
    )
    q = q.strip()
    if q:
        qs = qs.filter(name_q(q))
    if within or not q:
        qs = qs.filter(org__path__startswith=org.path)
    if not within:
        qs = qs.filter(status=MemberStatus.NORMAL)
    return list(qs[:limit])
