"""The shape of a seeding plan (plain data) and the pure helpers the generator uses."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from dangjian.demo.seeding.people import MemberSpec
from dangjian.orgs.choices import OrgType

MAX_BRANCH_MEMBERS = 50  # BR-02
MIN_BRANCH_MEMBERS = 4  # at least 3 正式党员 (BR-01): a branch's first three staff are full members
COMMITTEE_MIN_MEMBERS = 7  # ORG-03
ANOMALY_SHARE = 0.015  # of 党支部, for each deliberate breach of an ORG-* rule (see plan.py)


@dataclass(frozen=True)
class Scale:
    name: str
    units: int
    branches: int
    members: int
    min_branches_per_unit: int
    group_threshold: int  # a 党支部 with at least this many members is split into 党小组


SCALES: dict[str, Scale] = {
    "small": Scale("small", units=3, branches=15, members=200, min_branches_per_unit=4, group_threshold=16),
    "municipal": Scale(
        "municipal", units=100, branches=2500, members=60_000, min_branches_per_unit=8, group_threshold=32
    ),
}


@dataclass
class OrgSpec:
    code: str
    name: str
    type: str
    parent: str | None
    depth: int
    unit: str = ""
    founded_on: dt.date | None = None
    term_started_on: dt.date | None = None
    term_years: int | None = None
    is_retiree_branch: bool = False


@dataclass
class PostSpec:
    member: int  # index into Plan.members
    org: str
    title: str
    started_on: dt.date
    ended_on: dt.date | None = None


@dataclass
class HistorySpec:
    member: int
    field: str
    old_value: str
    new_value: str
    effective_on: dt.date
    old_org: str | None = None
    new_org: str | None = None


@dataclass
class StintSpec:
    """A 流动党员's open 外出 record (as MobileStint stores it): every member the plan marks 流动 has one, so that
    the flag and the 流动 records tell the same (the dashboard and the 分类统计 count the same members)."""

    member: int
    destination: str
    left_on: dt.date
    fixed_place: bool = True


@dataclass(frozen=True)
class KindSpec:
    """One type of a meeting with its attendance (as MeetingKind stores it)."""

    type: str
    expected: int
    present: int
    expected_formal: int
    present_formal: int


@dataclass
class MeetingSpec:
    """An organizational-life record; members are indexes into Plan.members."""

    org: str
    types: tuple[str, ...]  # in MeetingType order
    date: dt.date
    topic: str
    place: str = ""
    host: int | None = None
    lecturer: int | None = None
    lecturer_name: str = ""
    observers: str = ""
    content: str = ""
    absentees: tuple[tuple[int, str], ...] = ()  # (member, reason), by member
    kinds: tuple[KindSpec, ...] = ()


@dataclass
class DuesBaseSpec:
    """A 党费 base declared for the year of `effective_month` (as DuesBase stores it)."""

    member: int
    category: str
    monthly_base: Decimal | None
    effective_month: dt.date
    fixed_amount: Decimal | None = None
    note: str = ""


@dataclass
class DuesPaymentSpec:
    """A 党费 payment (as DuesPayment stores it); `payer` is a member index for 代缴."""

    member: int
    first_month: dt.date
    last_month: dt.date
    amount: Decimal
    paid_on: dt.date
    method: str
    payer: int | None = None
    is_extra: bool = False
    remit_to_central: bool = False
    note: str = ""


@dataclass
class Plan:
    scale: str
    seed: int
    today: dt.date  # the reference day: records cover the window of months up to it (clock.py)
    orgs: list[OrgSpec] = field(default_factory=list)
    members: list[MemberSpec] = field(default_factory=list)
    posts: list[PostSpec] = field(default_factory=list)
    history: list[HistorySpec] = field(default_factory=list)
    stints: list[StintSpec] = field(default_factory=list)
    meetings: list[MeetingSpec] = field(default_factory=list)
    # 党支部 that breach an ORG-* rule on purpose, by breach: "too_few" (fewer than 3 正式党员),
    # "too_many" (over 50 members), "vacant" (no 书记 on the reference date: the successor is not
    # yet appointed), "no_committee" (7 or more 正式党员 but a committee post left unfilled)
    anomalies: dict[str, list[str]] = field(default_factory=dict)
    # 党费 of the window (dues.py): bases, payments, and the 党支部 with a collection day (code → day)
    dues_bases: list[DuesBaseSpec] = field(default_factory=list)
    dues_payments: list[DuesPaymentSpec] = field(default_factory=list)
    collection_days: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        by_type = Counter(o.type for o in self.orgs)
        return {
            "units": by_type[OrgType.DANGWEI],
            "orgs": len(self.orgs),
            **{t: by_type[t] for t in OrgType.values},
            "members": len(self.members),
            "posts": len(self.posts),
            "history": len(self.history),
        }


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (1..99)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def leader_titles(unit: str) -> tuple[str, str]:
    """The 工作岗位 of a unit's head and deputies, from the kind of body it is."""
    if unit == "团市委":
        return "书记", "副书记"
    for suffix, titles in (
        ("红十字会", ("常务副会长", "副会长")),
        ("贸促会", ("会长", "副会长")),
        ("残联", ("理事长", "副理事长")),
        ("法院", ("院长", "副院长")),
        ("检察院", ("检察长", "副检察长")),
        ("院", ("院长", "副院长")),
        ("机关", ("秘书长", "副秘书长")),
        ("总队", ("总队长", "副总队长")),
        ("总站", ("站长", "副站长")),
        ("所", ("所长", "副所长")),
        ("馆", ("馆长", "副馆长")),
        ("局", ("局长", "副局长")),
        ("总工会", ("主席", "副主席")),
        ("联", ("主席", "副主席")),
        ("协", ("主席", "副主席")),
    ):
        if unit.endswith(suffix):
            return titles
    return "主任", "副主任"


def allocate(total: int, weights: list[float], minimums: list[int], maximum: int) -> list[int]:
    """Splits `total` into integers proportional to `weights`, each within [minimum, maximum]."""
    sizes = list(minimums)
    rest = total - sum(sizes)
    if rest < 0 or total > maximum * len(sizes):
        raise ValueError(f"cannot split {total} into {len(sizes)} parts of {min(minimums)}..{maximum}")
    while rest:
        open_ = [i for i, s in enumerate(sizes) if s < maximum]
        weight = sum(weights[i] for i in open_)
        exact = [(rest * weights[i] / weight, i) for i in open_]
        add = {i: int(x) for x, i in exact}
        left = rest - sum(add.values())
        for _, i in sorted(exact, key=lambda t: (int(t[0]) - t[0], t[1]))[:left]:
            add[i] += 1
        for i, extra in add.items():
            extra = min(extra, maximum - sizes[i])
            sizes[i] += extra
            rest -= extra
    return sizes
