"""Reads of the 党费 pages. Every read starts from the user's scope (a branch or member outside it is a
404) and costs a bounded number of queries whatever the number of members: the ledger itself is
set-based (dangjian.dues.ledger)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from dangjian.accounts.scope import scope_for
from dangjian.core.dates import add_months
from dangjian.core.perf import gc_paused
from dangjian.core.pinyin import name_key
from dangjian.dues import snapshots
from dangjian.dues.calculator import ZERO
from dangjian.dues.choices import RELIEF_APPROVER_TYPES, DuesCategory, LedgerStatus
from dangjian.dues.kernel import month_index, month_of
from dangjian.dues.ledger import (
    LedgerRow,
    arrears,
    branch_id,
    collection_day,
    collection_days,
    due_on,
    ledger,
    ledger_span,
    month_range,
    month_start,
)
from dangjian.dues.models import ArrearsReview, DuesBase, DuesPayment, DuesRelief, LedgerSnapshot
from dangjian.members.models import Member, personal_fields
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

OPEN = (LedgerStatus.UNPAID.value, LedgerStatus.PARTIAL.value)
OPEN_CODES = "uq"  # the same in a ledger snapshot's status codes (dues.kernel.month_codes)
NO_BASE = "nobase"  # a member on the sheet without a declared base in force that month


def _pk(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- organisations ------------------------------------------------------------------------------


def branches(user) -> list[Org]:
    """The 党支部 the user administers (visible, not dissolved), in tree order (one query)."""
    return list(Org.objects.visible_to(user).filter(type=OrgType.ZHIBU).active().order_by("path"))


def visible_branch(user, pk: Any) -> Org | None:
    pk = _pk(pk)
    if pk is None:
        return None
    return Org.objects.visible_to(user).filter(type=OrgType.ZHIBU, pk=pk).first()


def org_options(user) -> QuerySet[Org]:
    """The organisations of the pages' filter, in tree order: a queryset, loaded by the picker up to
    `settings.ORG_PICKER_ABOVE` (above it, searched: `orgs.widgets.org_select`)."""
    return Org.objects.visible_to(user).order_by("path").only("id", "name", "depth", "path", "type")


def _members(user, org: Org | None = None):
    """The members the admin pages list: those of the organisations the user administers (the scope of
    Member.objects.visible_to without the user's own record, which belongs to their own page)."""
    qs = Member.objects.filter(scope_for(user).org_q("org__"))
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    return qs


# --- the collection sheet -----------------------------------------------------------------------


@dataclass
class SheetRow:
    member: Member
    row: LedgerRow | None
    notes: list[str] = field(default_factory=list)  # 预交/补交 of the payments covering the month

    @property
    def status(self) -> str:
        return self.row.status if self.row else NO_BASE

    @property
    def outstanding(self) -> Decimal:
        return max(self.row.due - self.row.paid, ZERO) if self.row else ZERO

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def category_label(self) -> str:
        return category_label(self.row.category) if self.row else ""

    @property
    def rate_label(self) -> str:
        return rate_label(self.row.rate) if self.row else ""


@dataclass
class Sheet:
    org: Org
    month: dt.date
    due_date: dt.date
    collection_day: int | None
    rows: list[SheetRow]
    total_due: Decimal = ZERO
    total_paid: Decimal = ZERO
    n_paid: int = 0
    n_open: int = 0
    n_exempt: int = 0
    n_nobase: int = 0

    @property
    def open_rows(self) -> list[SheetRow]:
        return [r for r in self.rows if r.is_open]

    @property
    def nobase_rows(self) -> list[SheetRow]:
        """The members without a declared base in force this month: nothing is due from them on the sheet, no payment
        can be recorded for them, and the compliance checks count them as not paid in full (DUES-PAID-MONTHLY v9)."""
        return [r for r in self.rows if r.row is None]

    @property
    def nobase_shown(self) -> list[SheetRow]:
        """The first NOBASE_NAMES of them, named on the sheet (the rest counted: 等N人)."""
        return self.nobase_rows[:NOBASE_NAMES]

    def nobase_text(self) -> str:
        """ "张三、李四" or "张三、李四……等12人": the members without a declared base, as the export (in Chinese, as
        the rest of it) names them."""
        names = "、".join(r.member.name for r in self.nobase_shown)
        return f"{names}等{self.n_nobase}人" if self.n_nobase > NOBASE_NAMES else names


NOBASE_NAMES = 10  # members without a declared base named on the collection sheet (the others counted)


def sheet(user, org: Org, month: dt.date) -> Sheet:
    """Every member of the branch (and its 党小组) who had joined by the month and was still on the roll on its
    first day, with the month's ledger row and what the payments covering it say (预交/补交, 经支部同意; 6 queries
    whatever the number of members: the members, the ledger's three, the 集中交纳日, the payments covering the
    month). A member without a line has no declared base in force that month (one who left the roll before it owes
    nothing in it and is not listed)."""
    month = month_start(month)
    members = _members(user, org).filter(joined_on__lt=add_months(month, 1)).exclude(inactive_from__lte=month)
    # read once, for the rows and the ledger, with what they show: the personal data is neither read nor decrypted
    member_list = list(
        members.select_related("org")
        .only("pk", "name", "joined_on", "inactive_from", "org")
        .order_by("org__path", "name_pinyin", "name", "pk")
    )
    rows = {r.member_id: r for r in ledger(member_list, month)}
    day = collection_day(org.pk)
    covering = DuesPayment.objects.filter(
        member__in=members.order_by().values("pk"),
        is_extra=False,
        first_month__lte=month,
        last_month__gte=month,
    ).order_by("paid_on", "id")
    notes: dict[int, list[str]] = defaultdict(list)
    for p in covering:
        if p.consent_label:
            notes[p.member_id].append(p.consent_label)
    result = Sheet(org=org, month=month, due_date=due_on(month, day), collection_day=day, rows=[])
    for m in member_list:
        r = SheetRow(m, rows.get(m.pk), notes.get(m.pk, []))
        result.rows.append(r)
        if r.row is None:
            result.n_nobase += 1
            continue
        result.total_due += r.row.due
        result.total_paid += r.row.paid
        if r.status == LedgerStatus.PAID:
            result.n_paid += 1
        elif r.status == LedgerStatus.EXEMPT:
            result.n_exempt += 1
        else:
            result.n_open += 1
    return result


def paid_last_month(user, org: Org, month: dt.date) -> dict[int, Decimal]:
    """What each member of the branch paid for the month before `month`, by member (the sheet's "按上月"
    prefill; the ledger's queries, whatever the number of members)."""
    month = month_start(month)
    members = _members(user, org).filter(joined_on__lt=month)
    return {r.member_id: r.paid for r in ledger(members, add_months(month, -1)) if r.paid > ZERO}


# --- reminders ----------------------------------------------------------------------------------


@dataclass
class Reminder:
    row: LedgerRow
    org: Org
    branch: Org
    due_date: dt.date
    days_left: int

    @property
    def outstanding(self) -> Decimal:
        return max(self.row.due - self.row.paid, ZERO)


def reminders(user, today: dt.date, org: Org | None = None) -> list[Reminder]:
    """Members of the visible branches not yet fully paid for the current month, soonest 交纳日 first
    (ledger + 2 queries)."""
    month = month_start(today)
    rows = [r for r in ledger(_members(user, org), month) if r.status in OPEN]
    orgs = {o.pk: o for o in Org.objects.filter(pk__in={r.org_id for r in rows})}
    branch_ids = {branch_id(o) for o in orgs.values()}
    parents = {o.pk: o for o in Org.objects.filter(pk__in=branch_ids - set(orgs))}
    parents.update(orgs)
    days = collection_days(branch_ids)
    result = []
    for r in rows:
        o = orgs[r.org_id]
        b = branch_id(o)
        due = due_on(month, days.get(b))
        result.append(Reminder(r, o, parents.get(b, o), due, (due - today).days))
    result.sort(key=lambda x: (x.due_date, x.branch.path, name_key(x.row.member_name), x.row.member_name))
    return result


@dataclass(frozen=True)
class OpenMonth:
    """A branch's members not yet fully paid for a month (未交 or 部分交纳), and its 集中交纳日 that month."""

    branch: Org
    due_date: dt.date
    members: int


def open_this_month(user, today: dt.date, org: Org | None = None) -> list[OpenMonth]:
    """Per visible branch with any: how many of the members `reminders` lists are not yet fully paid this month,
    read from their ledger snapshots' status codes (dues.snapshots); the ledger is computed only for members
    without a current snapshot or with a date of leaving the roll (a snapshot ignores it). Four or five queries when
    every snapshot is current, whatever the number of members (the work list's 本月党费): the branches are read again
    only when some have their unpaid members in 党小组 alone."""
    month = month_start(today)
    index = month_index(month)
    members = _members(user, org).filter(joined_on__lt=add_months(month, 1)).exclude(inactive_from__lte=month)
    people = {
        pk: (org_id, leaving) for pk, org_id, leaving in members.values_list("pk", "org_id", "inactive_from")
    }
    snapped = (
        LedgerSnapshot.objects.filter(
            member__in=[pk for pk, (_, leaving) in people.items() if leaving is None],
            fingerprint=snapshots.fingerprint(),
            start__lte=index,
            end__gte=index,
        ).values_list("member_id", "start", "codes")
        if people
        else []
    )
    open_orgs = [people[pk][0] for pk, start, codes in snapped if codes[index - start] in OPEN_CODES]
    computed = set(people) - {pk for pk, _, _ in snapped}
    if computed:
        open_orgs += [
            r.org_id for r in ledger(Member.objects.filter(pk__in=computed), month) if r.status in OPEN
        ]
    if not open_orgs:
        return []
    orgs = {
        o.pk: o
        for o in Org.objects.filter(pk__in=set(open_orgs)).only("pk", "name", "path", "type", "parent_id")
    }
    per_branch: dict[int, int] = defaultdict(int)
    for org_id in open_orgs:
        per_branch[branch_id(orgs[org_id])] += 1
    # a branch holding any such member itself is read already; only those whose members all sit in 党小组 are not
    branches = {b: orgs[b] for b in per_branch if b in orgs}
    if len(branches) < len(per_branch):
        branches.update(
            (o.pk, o)
            for o in Org.objects.filter(pk__in=sorted(per_branch.keys() - branches.keys())).only(
                "pk", "name", "path", "type", "parent_id"
            )
        )
    days = collection_days(per_branch)
    found = [OpenMonth(branches[b], due_on(month, days.get(b)), n) for b, n in per_branch.items()]
    return sorted(found, key=lambda f: (f.due_date, f.branch.path))


# --- arrears ------------------------------------------------------------------------------------


@dataclass
class ArrearsItem:
    row: Any
    org: Org
    last_review: ArrearsReview | None


def arrears_items(user, as_of: dt.date, org: Org | None = None) -> list[ArrearsItem]:
    """Members with overdue unpaid months, the longest runs first, with their latest review (arrears' own
    queries + 2)."""
    rows = arrears(_members(user, org), as_of)
    orgs = {o.pk: o for o in Org.objects.filter(pk__in={r.org_id for r in rows})}
    latest: dict[int, ArrearsReview] = {}
    for review in ArrearsReview.objects.filter(member_id__in=[r.member_id for r in rows]).order_by(
        "member_id", "-reviewed_on", "-id"
    ):
        latest.setdefault(review.member_id, review)
    items = [ArrearsItem(r, orgs[r.org_id], latest.get(r.member_id)) for r in rows]
    items.sort(key=lambda i: (-i.row.consecutive, i.org.path, name_key(i.row.member_name), i.row.member_id))
    return items


def arrears_member(user, pk: Any) -> Member | None:
    pk = _pk(pk)
    return _members(user).filter(pk=pk).select_related("org").first() if pk is not None else None


# --- year summary -------------------------------------------------------------------------------


@dataclass
class SummaryLine:
    label: str
    org: Org | None = None
    unit: str = ""
    months: list[list[Decimal]] = field(default_factory=lambda: [[ZERO, ZERO] for _ in range(12)])
    is_unit: bool = False
    drill: Org | None = None  # a unit's subtotal shown without its branches: the organisation to open it at
    # 全年: the months whose 党费集中交纳日 has passed (as the member ledger's 合计): a month not yet due is shown in its
    # column only (`pending`: those of the line's months not counted, for some branch of a subtotal)
    total_due: Decimal = ZERO
    total_paid: Decimal = ZERO
    pending: set[int] = field(default_factory=set)
    due_months: int = 12  # a branch's line: how many of its months, from January, its 全年 counts

    def add(self, index: int, due: Decimal, paid: Decimal, counted: bool = True) -> None:
        self.months[index][0] += due
        self.months[index][1] += paid
        if counted:
            self.total_due += due
            self.total_paid += paid
        elif due or paid:
            self.pending.add(index)

    @property
    def cells(self) -> list[dict]:
        return [
            {"due": d, "paid": p, "rate": _rate(d, p), "pending": i in self.pending}
            for i, (d, p) in enumerate(self.months)
        ]

    @property
    def total_rate(self) -> Decimal | None:
        return _rate(self.total_due, self.total_paid)


def _rate(due: Decimal, paid: Decimal) -> Decimal | None:
    if not due:
        return None
    return (min(paid, due) * 100 / due).quantize(Decimal("0.1"))


def _kept_snapshots(members, year: int, last: int):
    """The ledger snapshots that hold the amounts of January..`last` (a month index) of `year` for those of
    `members` on the roll: current (fingerprint), covering the months, with amounts kept."""
    return LedgerSnapshot.objects.filter(
        member__in=members.filter(inactive_from__isnull=True, joined_on__lt=add_months(month_of(last), 1))
        .order_by()
        .values("pk"),
        fingerprint=snapshots.fingerprint(),
        start__lte=month_index(dt.date(year, 1, 1)),
        end__gte=last,
    ).exclude(amounts="")


def _kept_amounts(kept, year: int, last: int) -> dict[int, list[int]]:
    """From the snapshots `kept` (_kept_snapshots): organisation id → the due and paid of each month
    January..`last` in fen ([due, paid] × 12 flattened; exempt months left out), summed over its members. Summed
    per organisation as they are read (a city's 60,000 members: one list each, summed again per branch afterwards,
    cost about a third of the 工委's year summary). Each distinct "due/paid" text is parsed once: a city's 720,000
    months hold about 34,000 of them (members of one base pay the same), and parsing was most of the loop."""
    first = month_index(dt.date(year, 1, 1))
    months = last - first + 1
    per_org: dict[int, list[int]] = {}
    parsed: dict[str, tuple[int, int] | None] = {"": None}  # a month without a line: nothing to add
    rows = kept.values_list("member__org_id", "start", "codes", "amounts")
    for org_id, start, codes, amounts in rows.iterator(chunk_size=5000):
        totals = per_org.get(org_id)
        if totals is None:
            totals = per_org[org_id] = [0] * 24
        offset = first - start
        items = amounts.split(",", offset + months)[offset : offset + months]  # the rest left unsplit
        flags = codes[offset : offset + months]
        exempt = "e" in flags  # most members have no exempt month: the flag of each month is then not read
        for i, item in enumerate(items):
            pair = parsed.get(item, False)
            if pair is False:
                due, _slash, paid = item.partition("/")
                pair = parsed[item] = (int(due), int(paid))
            if pair is not None and not (exempt and flags[i] == "e"):
                totals[2 * i] += pair[0]
                totals[2 * i + 1] += pair[1]
    return per_org


def year_summary(user, year: int, org: Org | None = None) -> list[SummaryLine]:
    """Per branch and month: 应交, 实交 (allocated to the month), 交纳率; each 单位's subtotal after its
    branches, then the total. Their 全年 counts the months whose 党费集中交纳日 has passed, as the member ledger's
    合计 does (the current month is shown in its column, not counted before its 交纳日). The amounts of members with a current ledger snapshot are summed from it (a
    城市's 60,000 members in about a second instead of computing each ledger); the others' are computed
    (ledger + 4 queries)."""
    return summary_lines(_members(user, org), year)


def org_year_totals(org: Org, year: int) -> tuple[Decimal, Decimal]:
    """应交 and 实交 of `year` (the months whose 集中交纳日 has passed) of the members of `org`'s subtree, as the year
    summary's 全年 sums them."""
    lines = summary_lines(Member.objects.filter(org__path__startswith=org.path), year)
    return (lines[-1].total_due, lines[-1].total_paid) if lines else (ZERO, ZERO)


@gc_paused()
def summary_lines(members, year: int) -> list[SummaryLine]:
    """The year summary's lines of `members` (a Member queryset the caller has scoped), with the collector paused as
    for the compliance evaluation (the 工委's city: about 0.38 s of CPU instead of 0.45–0.50)."""
    last = min(dt.date(year, 12, 1), max(month_start(dt.date.today()), dt.date(year, 1, 1)))
    # the amounts of members with a current snapshot summed from it; the others' ledgers computed (ledger + 3)
    kept = _kept_snapshots(members, year, month_index(last))
    per_org = _kept_amounts(kept, year, month_index(last))
    member_list, rows = ledger_span(
        members.exclude(pk__in=kept.values("member_id")), dt.date(year, 1, 1), last
    )
    org_of = {m.pk: m.org_id for m in member_list}
    orgs = {
        o.pk: o
        for o in Org.objects.filter(pk__in=set(per_org) | set(org_of.values())).only(
            "pk", "type", "parent_id"
        )
    }
    per_branch: dict[int, list[int]] = {}
    for org_id, amounts in per_org.items():
        totals = per_branch.setdefault(branch_id(orgs[org_id]), [0] * 24)
        for i, value in enumerate(amounts):
            totals[i] += value
    computed: list[tuple[int, int, Decimal, Decimal]] = []  # (branch, month, due, paid)
    for member_id, months in rows.items():
        b_id = branch_id(orgs[org_of[member_id]])
        per_branch.setdefault(b_id, [0] * 24)
        computed.extend(
            (b_id, month.month - 1, r.due, r.paid)
            for month, r in months.items()
            if r.status != LedgerStatus.EXEMPT
        )
    branch_orgs = {o.pk: o for o in Org.objects.filter(pk__in=per_branch)}
    # the months each branch's 全年 counts: those whose 集中交纳日 has passed (one query)
    days = collection_days(per_branch)
    today = dt.date.today()
    due_months = {
        b_id: sum(1 for i in range(12) if today > due_on(dt.date(year, i + 1, 1), days.get(b_id)))
        for b_id in per_branch
    }
    lines: dict[int, SummaryLine] = {}
    hundred = Decimal(100)
    for b_id, totals in per_branch.items():
        b = branch_orgs[b_id]
        line = lines[b.pk] = SummaryLine(b.name, b, b.unit or "", due_months=due_months[b_id])
        for i in range(12):
            line.add(
                i,
                Decimal(totals[2 * i]) / hundred,
                Decimal(totals[2 * i + 1]) / hundred,
                counted=i < due_months[b_id],
            )
    for b_id, i, due, paid in computed:
        lines[b_id].add(i, due, paid, counted=i < due_months[b_id])
    result: list[SummaryLine] = []
    by_unit: dict[str, list[SummaryLine]] = defaultdict(list)
    for line in sorted(lines.values(), key=lambda x: x.org.path):
        by_unit[line.unit].append(line)
    total = SummaryLine(gettext("合计"), is_unit=True)
    for unit, unit_lines in by_unit.items():
        result.extend(unit_lines)
        subtotal = SummaryLine(
            gettext("%(unit)s 小计") % {"unit": unit or gettext("其他")}, unit=unit, is_unit=True
        )
        for line in unit_lines:
            for i, (d, p) in enumerate(line.months):
                subtotal.add(i, d, p, counted=i < line.due_months)
                total.add(i, d, p, counted=i < line.due_months)
        result.append(subtotal)
    if result:
        result.append(total)
    return result


# Above this many branches the summary shows the units' subtotals, each opening its branches: a 工委's 2,500
# branches by twelve months were 3.6 MB of HTML.
SUMMARY_BRANCH_ROWS = 60


def units_only(user, lines: list[SummaryLine]) -> list[SummaryLine] | None:
    """The units' subtotals and the total of a summary with more than SUMMARY_BRANCH_ROWS branches in more than
    one unit, each unit with the organisation to open it at (one query); None when the summary is shown whole
    (short enough, or one unit's branches)."""
    if sum(1 for line in lines if not line.is_unit) <= SUMMARY_BRANCH_ROWS:
        return None
    if len({line.unit for line in lines if not line.is_unit}) < 2:  # one unit's branches: shown whole
        return None
    units = [line for line in lines if line.is_unit]
    paths: dict[str, list[str]] = defaultdict(list)  # the unit's branches
    for line in lines:
        if line.org is not None and line.unit:
            paths[line.unit].append(line.org.path)
    tops: dict[
        str, Org
    ] = {}  # the unit's highest organisation above all its branches (its 机关党委, not 党组)
    for o in Org.objects.filter(scope_for(user).org_q(), unit__in=paths).order_by("unit", "depth", "path"):
        if o.unit not in tops and all(path.startswith(o.path) for path in paths[o.unit]):
            tops[o.unit] = o
    for line in units:
        line.drill = tops.get(line.unit) if line.unit else None
    return units


# --- publication --------------------------------------------------------------------------------


@dataclass
class PublicationMonth:
    month: dt.date
    collected: Decimal = ZERO
    payers: int = 0
    extra: Decimal = ZERO
    extra_count: int = 0
    remitted: Decimal = ZERO


def publication(user, org: Org, year: int) -> tuple[list[PublicationMonth], PublicationMonth, list]:
    """党费收缴情况公示: per month (by 缴纳日期) the regular dues collected and the members paying, the
    voluntary extra payments and those remitted to the 中央 (2 queries)."""
    ids = _members(user, org).order_by().values("pk")
    months = {m: PublicationMonth(m) for m in month_range(dt.date(year, 1, 1), dt.date(year, 12, 1))}
    agg = (
        DuesPayment.objects.filter(member_id__in=ids, paid_on__year=year)
        .annotate(m=TruncMonth("paid_on"))
        .values("m")
        .annotate(
            collected=Sum("amount", filter=Q(is_extra=False)),
            payers=Count("member", filter=Q(is_extra=False), distinct=True),
            extra=Sum("amount", filter=Q(is_extra=True)),
            extra_count=Count("id", filter=Q(is_extra=True)),
            remitted=Sum("amount", filter=Q(is_extra=True, remit_to_central=True)),
        )
        .order_by("m")
    )
    for a in agg:
        key = a["m"].date() if isinstance(a["m"], dt.datetime) else a["m"]
        pm = months[key.replace(day=1)]
        pm.collected = a["collected"] or ZERO
        pm.payers = a["payers"]
        pm.extra = a["extra"] or ZERO
        pm.extra_count = a["extra_count"]
        pm.remitted = a["remitted"] or ZERO
    total = PublicationMonth(dt.date(year, 1, 1))
    for pm in months.values():
        total.collected += pm.collected
        total.extra += pm.extra
        total.extra_count += pm.extra_count
        total.remitted += pm.remitted
    total.payers = (
        DuesPayment.objects.filter(member_id__in=ids, paid_on__year=year, is_extra=False)
        .values("member")
        .distinct()
        .count()
    )
    extras = list(
        DuesPayment.objects.filter(member_id__in=ids, paid_on__year=year, is_extra=True)
        .select_related("member")
        .order_by("paid_on", "id")
    )
    return list(months.values()), total, extras


# --- the member's own page ----------------------------------------------------------------------


def own_payments(member: Member, year: int) -> list[DuesPayment]:
    """The member's payments made in `year` or covering one of its months (a 预交 across the year too)."""
    return list(
        DuesPayment.objects.filter(member=member)
        .filter(
            Q(paid_on__year=year)
            | Q(first_month__lte=dt.date(year, 12, 1), last_month__gte=dt.date(year, 1, 1))
        )
        .select_related("payer")
        .defer(*personal_fields("payer"))  # named only ("…代缴")
        .order_by("paid_on", "id")
    )


def month_notes(payments) -> dict[dt.date, list[str]]:
    """month → what the regular payments covering it say of themselves ("预交（经支部同意，2026-03-02）"):
    only 预交 and 补交 (and payments recorded with the branch's consent) say anything."""
    notes: dict[dt.date, list[str]] = defaultdict(list)
    for p in payments:
        label = p.consent_label
        if p.is_extra or not label:
            continue
        for month in month_range(p.first_month, p.last_month):
            notes[month].append(label)
    return notes


def relief_approvers(user, member: Member) -> list[Org]:
    """The organisations `user` may name as having approved a 党费减免 of `member` (services.record_relief): the
    党委 (or the 工委) above the member's 党支部 that the user administers, nearest first (one query). Empty for the
    branch's own administrators, who see who records it instead of a form."""
    paths = member.org.ancestor_paths()  # the organisation's own path last
    paths = paths[:-2] if member.org.type == OrgType.XIAOZU else paths[:-1]  # strictly above the 党支部
    scope = scope_for(user)
    # an ancestor as Scope.covers reads it, from its path alone: no query when the user administers none of them
    covered = [int(p.rstrip("/").rsplit("/", 1)[-1]) for p in paths if scope.covers(_Ancestor(p))]
    if not covered:
        return []
    found = Org.objects.filter(pk__in=covered, type__in=RELIEF_APPROVER_TYPES).order_by("-depth")
    return list(found)


@dataclass(frozen=True)
class _Ancestor:
    path: str

    @property
    def pk(self) -> int:
        return int(self.path.rstrip("/").rsplit("/", 1)[-1])


def member_reliefs(member: Member) -> list:
    """The member's 党费减免, latest first, with the approving organisation (one query)."""
    return list(
        DuesRelief.objects.filter(member=member).select_related("approved_by").order_by("-start_month", "-id")
    )


def member_bases(member: Member, year: int) -> list:
    """The member's declarations (缴费类别 and base) of `year`, by effective month (one query)."""
    return list(DuesBase.objects.filter(member=member, year=year).order_by("effective_month"))


def member_page(user, pk: Any) -> Member | None:
    """A member of an organisation the user administers (their 党费 page and payment form), or None."""
    return arrears_member(user, pk)


def category_label(value: str) -> str:
    return str(DuesCategory(value).label) if value in DuesCategory.values else value


def rate_label(rate: Decimal | None) -> str:
    """0.015 → "1.5%"; None (a flat or fixed amount) → ""."""
    if rate is None:
        return ""
    return f"{(rate * 100).normalize():f}%"
