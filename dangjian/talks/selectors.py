"""Reads of the talks app, set-based: each function runs a fixed number of queries whatever the number of
organisations, talks or members."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from dangjian.accounts.scope import scope_for
from dangjian.core.formfields import as_id
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType
from dangjian.orgs.models import Org, Post
from dangjian.talks.categories import categories_of, committee_on, empty_counts
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup

Through = Talk.participants.through


def branches(user, within: Org | None = None, limit: int | None = None) -> list[Org]:
    """The 党支部 the user administers (those under `within`; the first `limit`), in tree order (one query)."""
    qs = Org.objects.filter(scope_for(user).org_q(), type=OrgType.ZHIBU, dissolved_on__isnull=True)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    qs = qs.order_by("path")
    return list(qs[:limit] if limit is not None else qs)


def has_branches(user) -> bool:
    """Whether the user administers an active 党支部 (one query, whatever their number)."""
    return Org.objects.filter(scope_for(user).org_q(), type=OrgType.ZHIBU, dissolved_on__isnull=True).exists()


GROUPLESS_TYPES = (OrgType.GONGWEI, OrgType.DANGZU, OrgType.XIAOZU)  # no 青年理论学习小组 of their own


def _group_orgs(user):
    return Org.objects.filter(scope_for(user).org_q(), dissolved_on__isnull=True).exclude(
        type__in=list(GROUPLESS_TYPES)
    )


def group_orgs(user, within: Org | None = None) -> list[Org]:
    """Organisations that may have a 青年理论学习小组 within the user's scope (those under `within`; one query)."""
    qs = _group_orgs(user)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    return list(qs.order_by("path"))


def group_org(user, pk: str) -> Org | None:
    """The organisation of `group_orgs` whose primary key is `pk` (a string from a form), else None."""
    found = as_id(pk)
    return _group_orgs(user).filter(pk=found).first() if found is not None else None


def committee_posts(org_ids, start: dt.date, end: dt.date) -> dict[int, list]:
    """Committee posts of the organisations overlapping start..end, per organisation (one query)."""
    posts: dict[int, list] = defaultdict(list)
    rows = (
        Post.objects.filter(org_id__in=org_ids, title__in=COMMITTEE_TITLES, started_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
        .only("org_id", "member_id", "title", "started_on", "ended_on")
    )
    for post in rows:
        posts[post.org_id].append(post)
    return posts


@dataclass
class TalkRow:
    talk: Talk
    people: list[tuple[int, str, bool]] = field(default_factory=list)  # (member id, name, 支委 on the date)
    categories: list[str] = field(default_factory=list)

    @property
    def category_labels(self) -> list[str]:
        from dangjian.talks.choices import TalkCategory

        return [str(TalkCategory(c).label) for c in self.categories]


def talk_rows(talks: QuerySet) -> list[TalkRow]:
    """The talks with their participants and derived categories (three queries)."""
    talks = list(talks.select_related("org"))
    if not talks:
        return []
    rows = {t.pk: TalkRow(t) for t in talks}
    people = (
        Through.objects.filter(talk_id__in=list(rows))
        .order_by("member__name_pinyin", "member__name", "member_id")
        .values_list("talk_id", "member_id", "member__name")
    )
    dates = [t.date for t in talks]
    posts = committee_posts({t.org_id for t in talks}, min(dates), max(dates))
    by_talk: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for talk_id, member_id, name in people:
        by_talk[talk_id].append((member_id, name))
    for row in rows.values():
        committee = committee_on(posts.get(row.talk.org_id, ()), row.talk.date)
        row.people = [(i, n, i in committee) for i, n in by_talk[row.talk.pk]]
        row.categories = categories_of([i for i, _n in by_talk[row.talk.pk]], committee)
    return [rows[t.pk] for t in talks]


def talk_counts(org_ids, start: dt.date, end: dt.date) -> dict[int, dict[str, int]]:
    """Per branch: {"talks": n, <category>: n …} for the talks dated start..end (two queries)."""
    people: dict[int, tuple[int, dt.date, list[int]]] = {}
    rows = Through.objects.filter(
        talk__org_id__in=org_ids, talk__date__gte=start, talk__date__lte=end
    ).values_list("talk_id", "talk__org_id", "talk__date", "member_id")
    for talk_id, org_id, date, member_id in rows:
        people.setdefault(talk_id, (org_id, date, []))[2].append(member_id)
    posts = committee_posts({org_id for org_id, _d, _m in people.values()}, start, end) if people else {}
    counts: dict[int, dict[str, int]] = {}
    for org_id, date, members in people.values():
        c = counts.setdefault(org_id, {"talks": 0, **empty_counts()})
        c["talks"] += 1
        for category in categories_of(members, committee_on(posts.get(org_id, ()), date)):
            c[category] += 1
    return counts


def pair_counts(org_ids, start: dt.date, end: dt.date) -> dict[int, int]:
    """Pairs in effect on some day of start..end per branch (one query)."""
    rows = (
        Pair.objects.filter(org_id__in=org_ids)
        .overlapping(start, end)
        .values("org_id")
        .annotate(n=Count("id"))
        .values_list("org_id", "n")
    )
    return dict(rows)


def youth_counts(org_ids, start: dt.date, end: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """Per organisation: its groups founded by `end`, and their activities dated start..end (two queries)."""
    groups = dict(
        YouthGroup.objects.filter(org_id__in=org_ids, founded_on__lte=end)
        .values("org_id")
        .annotate(n=Count("id"))
        .values_list("org_id", "n")
    )
    activities = dict(
        YouthActivity.objects.filter(group__org_id__in=org_ids, date__gte=start, date__lte=end)
        .values("group__org_id")
        .annotate(n=Count("id"))
        .values_list("group__org_id", "n")
    )
    return groups, activities


def youth_groups(groups: QuerySet, year: int) -> list[YouthGroup]:
    """The groups with `n_members` and `n_activities` (of the year) annotated, their org and leader (one
    query)."""
    return list(
        groups.select_related("org", "leader").annotate(
            n_members=Count("members", distinct=True),
            n_activities=Count(
                "activities",
                filter=Q(activities__date__year=year),
                distinct=True,
            ),
        )
    )


def activity_rows(
    activities: QuerySet, members: QuerySet | None = None
) -> list[tuple[YouthActivity, list[str]]]:
    """Activities with the names of who attended, among `members` when given (two queries)."""
    activities = list(activities.select_related("group", "group__org"))
    names: dict[int, list[str]] = defaultdict(list)
    through = YouthActivity.participants.through.objects.filter(
        youthactivity_id__in=[a.pk for a in activities]
    )
    if members is not None:
        through = through.filter(member__in=members.values("pk"))
    for activity_id, name in through.order_by("member__name_pinyin", "member__name").values_list(
        "youthactivity_id", "member__name"
    ):
        names[activity_id].append(name)
    return [(a, names[a.pk]) for a in activities]


@dataclass(frozen=True)
class SummaryRow:
    org: Org
    talks: int
    by_category: dict[str, int]
    pairs_active: int
    youth_groups: int
    youth_activities: int

    def as_json(self) -> dict:
        return {
            "org": self.org.code,
            "name": self.org.name,
            "talks": self.talks,
            "by_category": self.by_category,
            "pairs_active": self.pairs_active,
            "youth_groups": self.youth_groups,
            "youth_activities": self.youth_activities,
        }


def summary(orgs: QuerySet, year: int) -> list[SummaryRow]:
    """Year Y per organisation of `orgs`: every 党支部, and any other organisation with a 青年理论学习小组.
    Seven queries whatever the number of organisations."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    orgs = list(orgs.order_by("path"))
    ids = [o.pk for o in orgs]
    talks = talk_counts(ids, start, end)
    pairs = pair_counts(ids, start, end)
    groups, activities = youth_counts(ids, start, end)
    rows = []
    for org in orgs:
        if org.type != OrgType.ZHIBU and not groups.get(org.pk):
            continue
        counts = talks.get(org.pk, {"talks": 0, **empty_counts()})
        rows.append(
            SummaryRow(
                org=org,
                talks=counts["talks"],
                by_category={k: v for k, v in counts.items() if k != "talks"},
                pairs_active=pairs.get(org.pk, 0),
                youth_groups=groups.get(org.pk, 0),
                youth_activities=activities.get(org.pk, 0),
            )
        )
    return rows
