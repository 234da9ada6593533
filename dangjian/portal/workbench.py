"""The home pages' work: the branch's list of what is due and overdue, the roll-up of a 党委/工委's scope (the
organisations most behind first) and a member's own page. Everything is derived from what is recorded: the
kept compliance results and 待办 (compliance.workbench) and the items each domain app provides."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.choices import Role
from dangjian.accounts.scope import scope_for
from dangjian.compliance import workbench
from dangjian.compliance.registry import Link
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.workbench import OrgLabel, WorkItem, WorkList, register_category, register_provider
from dangjian.members.models import Member
from dangjian.members.selectors import birthday_of, birthdays, branch_of
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

ROLLUP_ROWS = 20  # the organisations most behind shown on the roll-up
# what the roll-up reads of each organisation, in the model's field order (as `Org.from_db` takes values)
ROLLUP_FIELDS = tuple(
    f.attname
    for f in Org._meta.concrete_fields
    if f.attname in {"id", "name", "path", "type", "parent_id", "unit", "depth"}
)
_ID, _PATH, _TYPE, _PARENT, _UNIT, _DEPTH = (
    ROLLUP_FIELDS.index(name) for name in ("id", "path", "type", "parent_id", "unit", "depth")
)

# 政治生日: the members app sits below the engine, so its category and provider are registered here.
register_category("birthdays", _l("政治生日"), order=90)


@register_provider("birthdays")
def birthday_items(user, org, on: dt.date) -> list[WorkItem]:
    """Members of the administered organisations whose 政治生日 falls this month (one query). An item's `due` is the
    anniversary itself, the day to remember (the work list shows it as a day, not as a deadline)."""
    members = Member.objects.filter(scope_for(user).org_q("org__"))
    if org is not None:
        members = members.filter(org__path__startswith=org.path)
    month = on.replace(day=1)
    items = []
    for b in birthdays(members, month):
        items.append(
            WorkItem(
                "birthdays",
                _("%(name)s同志的政治生日") % {"name": b.member.name},
                OrgLabel(b.branch.pk, b.branch.name, b.branch.path, b.branch.type),
                b.date,
                False,
                _("入党%(years)s周年。") % {"years": b.years},
                link=Link(
                    reverse("members:birthday_card", args=[b.member.pk]) + f"?month={month:%Y-%m}",
                    _("生日贺卡"),
                ),
            )
        )
    return items


def _orgs(user, org: Org | None, on: dt.date):
    orgs = Org.objects.filter(scope_for(user).org_q()).active(on)
    return orgs.filter(path__startswith=org.path) if org is not None else orgs


def work_list(user, *, org: Org | None = None, on: dt.date | None = None) -> WorkList:
    """What the organisations the user administers (within `org`'s subtree when given) must do: the kept
    results' and 待办's items and every registered provider's, overdue first, then by due date."""
    on = on or dt.date.today()
    ruleset = load_ruleset()
    kept_items = workbench.kept_items(_orgs(user, org, on), on=on, ruleset=ruleset)
    provided = [item for provider in workbench.PROVIDERS.values() for item in provider(user, org, on)]
    # a provider's item standing for a check kind's result replaces that result's item in its organisation
    covered = {(i.stands_for, i.org.id) for i in provided if i.stands_for}
    kind_of = {rule.id: rule.check for rule in ruleset.rules}
    kept_items = [i for i in kept_items if (kind_of.get(i.rule_id), i.org.id) not in covered]
    return WorkList(kept_items + provided).sorted()


# --- the roll-up of a 党委/工委 -------------------------------------------------------------------------------


@dataclass
class RollupRow:
    org: Any  # the organisation (a 党支部, or a 党委/党总支 for its own items), with `unit`
    overdue: int = 0


@dataclass
class UnitRow:
    name: str
    orgs: int = 0  # organisations of the unit shown as rows
    behind: int = 0  # those with overdue items
    overdue: int = 0
    top: Any = None  # the unit's highest organisation in the scope holding most of its rows (its 机关党委)
    # all its highest organisations (the 党组 beside the 机关党委 too), `top` first
    tops: list = field(default_factory=list)


@dataclass
class Rollup:
    rows: list[RollupRow]  # the most behind first, at most ROLLUP_ROWS
    units: list[UnitRow]
    total_orgs: int
    behind: int
    overdue: int
    # the 单位 the roll-up is narrowed to (`?unit=`: a row of the units' table), None for all of them; its counts
    # are then the unit's, the same as its row in the table
    unit: UnitRow | None = None

    @property
    def shown(self) -> int:
        return len(self.rows)


def overseen_roots(user) -> list[int]:
    """The organisations the user administers as a 党委/工委 administrator: their own items are listed apart from
    the roll-up of the organisations below them (the home page, as the drill-down page of each)."""
    return [
        g.org_id for g in scope_for(user).admin_grants if g.role in (Role.GONGWEI_ADMIN, Role.DANGWEI_ADMIN)
    ]


def rollup(user, *, root: Org | None = None, on: dt.date | None = None, unit: str | None = None) -> Rollup:
    """The organisations below those the user administers as a 党委/工委 (below `root` when given) by number of
    overdue items, from the kept results (two queries whatever the number of organisations): a 党小组's items
    count for its 党支部; the units (单位) summed the same way. `root` — or, without it, the organisations the user
    oversees (`overseen_roots`) — is not a row: its own items are listed on its page. With `unit`, only that
    单位's organisations (the counts its row in the units' table shows)."""
    on = on or dt.date.today()
    orgs = _orgs(user, root, on)
    counts = workbench.overdue_counts(orgs, on=on, ruleset=load_ruleset())
    own = {root.pk} if root is not None else set(overseen_roots(user))
    # the organisations as tuples (a 工委's are the city's 4,900: model instances of them all cost about 40 ms);
    # only those shown — the rows most behind and the units' tops — are made organisations (as `.only()` makes them)
    listed = orgs.order_by("path").values_list(*ROLLUP_FIELDS)
    overdue: dict[int, int] = {}  # row organisation id → its overdue items, in path order
    facts: dict[int, tuple] = {}  # row organisation id → its ROLLUP_FIELDS
    groups: list[tuple[int, int]] = []  # (党小组, its 党支部)
    for row in listed:
        pk, org_type = row[_ID], row[_TYPE]
        if org_type == OrgType.XIAOZU:
            groups.append((pk, row[_PARENT]))
        elif org_type != OrgType.GONGWEI and pk not in own:
            overdue[pk] = counts.get(pk, 0)
            facts[pk] = row
    for pk, parent_id in groups:
        n = counts.get(pk, 0)
        if n and parent_id in overdue:
            overdue[parent_id] += n
    if unit is not None:
        overdue = {pk: n for pk, n in overdue.items() if (facts[pk][_UNIT] or "") == unit}
    units: dict[str, UnitRow] = {}
    paths: dict[str, list[str]] = defaultdict(list)  # 单位 → its rows' paths
    highest: dict[
        str, tuple[int, list[int]]
    ] = {}  # 单位 → (the least depth, its organisations at that depth)
    for pk, n in overdue.items():
        name, depth = facts[pk][_UNIT] or "", facts[pk][_DEPTH]
        row_unit = units.setdefault(name, UnitRow(name))
        row_unit.orgs += 1
        row_unit.overdue += n
        row_unit.behind += int(n > 0)
        paths[name].append(facts[pk][_PATH])
        if name not in highest or depth < highest[name][0]:
            highest[name] = (depth, [pk])
        elif depth == highest[name][0]:
            highest[name][1].append(pk)

    def held(pk: int, name: str) -> int:
        return sum(p.startswith(facts[pk][_PATH]) for p in paths[name])

    # a unit's highest organisations, the one holding most of its rows first (its 机关党委, then the 党组 beside
    # it, whose page has no organisations below it), in path order on a tie
    tops = {
        name: sorted(pks, key=lambda pk, name=name: (-held(pk, name), facts[pk][_PATH]))
        for name, (_depth, pks) in highest.items()
    }
    ranked = sorted(overdue, key=lambda pk: (-overdue[pk], facts[pk][_PATH]))
    shown = [pk for pk in ranked if overdue[pk]][:ROLLUP_ROWS]
    by_id = {
        pk: Org.from_db(orgs.db, ROLLUP_FIELDS, facts[pk])
        for pk in {*shown, *(pk for pks in tops.values() for pk in pks)}
    }
    for name, pks in tops.items():
        units[name].tops = [by_id[pk] for pk in pks]
        units[name].top = units[name].tops[0]
    return Rollup(
        rows=[RollupRow(by_id[pk], overdue[pk]) for pk in shown],
        units=sorted(units.values(), key=lambda u: (-u.overdue, u.name)),
        total_orgs=len(ranked),
        behind=sum(1 for n in overdue.values() if n),
        overdue=sum(overdue.values()),
        unit=None if unit is None else units.get(unit, UnitRow(unit)),
    )


def own_work(org: Org | list[int], *, user=None, on: dt.date | None = None) -> WorkList:
    """A 党委's (党总支's …) own items, without its subtree's — or those of several organisations given by id (the
    ones a 党委/工委 administrator oversees, `overseen_roots`): their kept results and 待办 (two queries), and with
    `user`, the decisions awaiting them that the user may record (`workbench.DECISIONS`: an election's result, a
    发展党员 step the 党委 approves)."""
    on = on or dt.date.today()
    ids = [org.pk] if isinstance(org, Org) else list(org)
    items = workbench.kept_items(Org.objects.filter(pk__in=ids), on=on, ruleset=load_ruleset())
    if user is not None:
        items += [item for decisions in workbench.DECISIONS.values() for item in decisions(user, ids, on)]
    return WorkList(items).sorted()


# --- a member's own page --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanLine:
    """A planned meeting as a member's page lists it: its types named with its 党小组 when it is one's."""

    plan: Any  # meetings.models.PlannedMeeting
    type_labels: str

    @property
    def date(self) -> dt.date:
        return self.plan.date

    @property
    def topic(self) -> str:
        return self.plan.topic

    @property
    def place(self) -> str:
        return self.plan.place


def _with_group(labels: str, org) -> str:
    """A meeting's types, followed by its organisation's name when it is a 党小组 ("党小组会（第一党小组）")."""
    if org.type != OrgType.XIAOZU:
        return labels
    return _("%(types)s（%(org)s）") % {"types": labels, "org": org.name}


def member_meeting_scope(member: Member, on: dt.date) -> tuple[dict[int, frozenset[str]], Any]:
    """Which meetings concern a member (one query, their posts): {organisation id: the meeting types whose
    roster includes them} — their branch's meetings of the members' roster (党员大会, 党课, 主题党日 …), its
    支部委员会 only when they hold a 支部委员 post there (and the leadership's meetings only when they hold a post),
    and their own 党小组's meetings; never another 党小组's — with the Q of those meetings (`org`, `kinds__type`)."""
    from django.db.models import Q

    from dangjian.meetings.choices import ROSTER_OF_TYPE, Roster
    from dangjian.orgs.choices import COMMITTEE_TITLES
    from dangjian.orgs.models import Post

    def of(roster: str) -> set[str]:
        return {str(t) for t, r in ROSTER_OF_TYPE.items() if r == roster}

    branch = branch_of(member.org)
    members_types = of(Roster.MEMBERS)
    titles = set(Post.objects.current(on).filter(org=branch, member=member).values_list("title", flat=True))
    branch_types = set(members_types)
    if titles:
        branch_types |= of(Roster.LEADERSHIP)
    if titles & set(COMMITTEE_TITLES):
        branch_types |= of(Roster.COMMITTEE)
    types = {branch.pk: frozenset(branch_types)}
    if member.org_id != branch.pk:
        types[member.org_id] = frozenset(members_types)
    q = Q()
    for org_id, allowed in types.items():
        q |= Q(org_id=org_id, kinds__type__in=sorted(allowed))
    return types, q


def member_plans(
    member: Member,
    on: dt.date,
    *,
    limit: int | None = None,
    with_cancelled: bool = False,
    types: dict[int, frozenset[str]] | None = None,
) -> list:
    """The plans ahead that concern the member (`member_meeting_scope`, or its `types` when read already): a
    plan of their branch or their own 党小组 with at least one type whose roster includes them; soonest first
    (two queries, one with `types`)."""
    from dangjian.meetings.plans import upcoming

    if types is None:
        types, _q = member_meeting_scope(member, on)
    found = [
        plan
        for plan in upcoming(Org.objects.filter(pk__in=list(types)), on, with_cancelled=with_cancelled)
        if types[plan.org_id].intersection(plan.types)
    ]
    return found[:limit] if limit else found


@dataclass
class MemberHome:
    member: Member
    month_row: Any  # this month's ledger row (dues.ledger.LedgerRow) or None without a declared base
    due_date: dt.date
    arrears: list[str]  # the overdue unpaid months
    outstanding: Decimal
    activities: list[Any]  # the latest meetings of the branch that concern the member (member_meeting_scope)
    birthday: Any  # members.selectors.Birthday this month, or None
    hours: Any  # training.selectors.OwnHours
    year: int
    month_label: str = ""
    month_status: str = ""
    planned: tuple = ()  # PlanLine: the planned meetings ahead that concern the member (member_plans)
    ballots: tuple = ()  # evaluations whose 测评票 the member has not cast yet (evaluations.selectors)
    self_assessments: tuple = ()  # participations whose 个人自评 the member may write now (evaluations.selectors)
    appraisal_ballots: tuple = ()  # 述职评议 whose 测评票 the member has not cast yet (appraisals.selectors)
    # this month is unpaid (or partly paid) past the branch's 集中交纳日: overdue, no longer "请于 … 前交纳"
    month_overdue: bool = False
    # the member's first day off the roll (转出, 停止党籍 …) when it has come: no 党费 is asked of them any more
    left_on: dt.date | None = None
    # a 预备党员's 预备期满 day: their development case's (an extension included), else a year from joining
    probation_end: dt.date | None = None
    # a 流动党员's open 外出 record (where, since when): the member reads what their branch has recorded of them
    away: Any = None

    @property
    def arrears_text(self) -> str:
        """The overdue months, joined by the language's separator ("、" in Chinese)."""
        return _("、").join(self.arrears)


def probation_end_of(member: Member) -> dt.date | None:
    """A 预备党员's 预备期满 day: the one their development case keeps (its 延长预备期 included), else the workflow's
    probation counted from their 入党日期 (a member entered on the roll without a case). None for anyone else; one
    query for a 预备党员."""
    from dangjian.core.dates import add_months
    from dangjian.members.choices import Category
    from dangjian.pipeline.models import DevelopmentCase
    from dangjian.pipeline.workflow import load_workflow

    if member.category != Category.PROBATIONARY or member.inactive_from is not None:
        return None
    kept = DevelopmentCase.objects.filter(member=member).values_list("probation_end", flat=True).first()
    return kept or add_months(member.joined_on, load_workflow().probation_months)


def open_stint_of(member: Member, on: dt.date):
    """The member's 外出 record open on `on` (流动党员: where and since when), or None; one query, none for a member
    not marked 流动."""
    from dangjian.movements.models import MobileStint

    if not member.is_mobile:
        return None
    stints = MobileStint.objects.filter(member=member, left_on__lte=on)
    return stints.exclude(returned_on__lte=on).order_by("-left_on").first()


def member_home(member: Member, *, on: dt.date | None = None) -> MemberHome:
    """What a member sees first: this month's 党费 and any arrears, the branch's latest activities, their
    政治生日 this month and their study hours against the target (a fixed number of queries)."""
    from dangjian.appraisals.selectors import open_ballots as open_appraisal_ballots
    from dangjian.dues.choices import LedgerStatus
    from dangjian.dues.ledger import arrears, arrears_span, branch_id, collection_days, due_on, ledger_span
    from dangjian.evaluations.selectors import open_for_member
    from dangjian.meetings.choices import MeetingType
    from dangjian.meetings.models import Meeting
    from dangjian.training.selectors import own_hours

    on = on or dt.date.today()
    month = on.replace(day=1)
    left_on = (
        member.inactive_from if member.inactive_from is not None and member.inactive_from <= on else None
    )
    own = Member.objects.filter(pk=member.pk)
    span = ledger_span([member], *arrears_span(on))  # this month's row and the arrears from one ledger
    month_row = span[1].get(member.pk, {}).get(month)
    days = collection_days([branch_id(member.org)])  # read once: for the arrears and this month's due date
    found = arrears(own, on, span=span, days=days)
    owed = found[0].unpaid_months if found else []
    # every overdue month, last year's included
    outstanding = (
        sum((max(o.due - o.paid, Decimal(0)) for o in found[0].owed_months), Decimal(0))
        if found
        else Decimal(0)
    )
    # the meetings of the branch that concern the member: not the 支部委员会 of others, not another 党小组's
    concerning_types, concerning = member_meeting_scope(member, on)
    ids = Meeting.objects.filter(concerning)
    if left_on is not None:  # off the roll: the branch's meetings since are no longer theirs
        ids = ids.filter(date__lt=left_on)
    ids = ids.values("pk")
    activities = list(
        Meeting.objects.filter(pk__in=ids)
        .prefetch_related("kinds")
        .select_related("org")
        .order_by("-date", "-id")[:5]
    )
    for m in activities:
        labels = _("、").join(str(MeetingType(k.type).label) for k in m.kinds.all())
        m.type_labels = _with_group(labels, m.org)
    ballots, selfs = open_for_member(member.pk)  # the evaluations' 测评 and 个人自评 in one query
    due_date = due_on(month, days.get(branch_id(member.org)))
    open_status = (LedgerStatus.UNPAID.value, LedgerStatus.PARTIAL.value)
    return MemberHome(
        member=member,
        month_row=month_row,
        due_date=due_date,
        arrears=owed,
        outstanding=outstanding,
        activities=activities,
        birthday=birthday_of(member, month),
        hours=own_hours(member, year=on.year, as_of=on),
        year=on.year,
        month_label=f"{on:%Y-%m}",
        month_status=str(LedgerStatus(month_row.status).label) if month_row else "",
        planned=()
        if left_on is not None
        else tuple(
            PlanLine(p, _with_group(p.type_labels, p.org))
            for p in member_plans(member, on, limit=3, types=concerning_types)
        ),
        ballots=tuple(ballots),
        self_assessments=tuple(selfs),
        appraisal_ballots=tuple(open_appraisal_ballots(member.pk)),
        month_overdue=month_row is not None and month_row.status in open_status and on > due_date,
        left_on=left_on,
        probation_end=probation_end_of(member),
        away=None if left_on is not None else open_stint_of(member, on),
    )
