"""Reads of the movements pages and command, set-based: each list is one query (plus one for the
organisations of a summary) whatever the number of members or organisations. The 失联 suggestions are
computed here, never acted on: a person decides and records the status change."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Case, Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext

from dangjian.accounts.scope import scope_for
from dangjian.core.dates import add_months
from dangjian.core.handsql import like_prefix, quoted, starts_with
from dangjian.members.choices import MemberStatus, WorkStatus
from dangjian.members.models import Member, on_roll_q
from dangjian.movements.choices import AbroadPurpose, Suggestion, TransferKind, TransferState
from dangjian.movements.models import LostContact, MobileStint, StintDecision, Transfer
from dangjian.movements.params import MovementsParams, load_params
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org


def _pk(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- scope ---------------------------------------------------------------------------------------------------


def admin_members(user, org: Org | None = None, work_status: str | None = None) -> QuerySet:
    """Members of the organisations the user administers (optionally a subtree and a 工作状态)."""
    qs = Member.objects.filter(scope_for(user).org_q("org__"))
    return filter_members(qs, org, work_status)


def filter_members(qs: QuerySet, org: Org | None = None, work_status: str | None = None) -> QuerySet:
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if work_status in WorkStatus.values:
        qs = qs.filter(work_status=work_status)
    return qs


def org_options(user) -> QuerySet[Org]:
    """The organisations of the pages' filter, in tree order (loaded by the filter's field, or searched when
    there are many: `OrgChoiceField`)."""
    return Org.objects.visible_to(user).order_by("path").only("id", "name", "depth", "path", "type", "unit")


def admin_member(user, pk: Any) -> Member | None:
    """A member the user administers (else None: the view answers 404)."""
    pk = _pk(pk)
    return admin_members(user).filter(pk=pk).select_related("org").first() if pk is not None else None


def receiving_orgs(exclude: Org | None = None) -> list[Org]:
    """Every active 党支部 of the system (a transfer may go anywhere inside it) but the 党支部 of `exclude` — the
    member's organisation: itself, or a 党小组's branch — in tree order. Never a 党小组: a member is placed in one
    by their own branch (the member's record), not transferred to it."""
    qs = Org.objects.active().filter(type=OrgType.ZHIBU).order_by("path")
    if exclude is not None:
        own = exclude.parent_id if exclude.type == OrgType.XIAOZU and exclude.parent_id else exclude.pk
        qs = qs.exclude(pk=own)
    return list(qs.only("id", "name", "depth", "path", "type", "unit"))


# --- dues paid-up-to -------------------------------------------------------------------------------------------


def dues_paid_through(member: Member, on: dt.date) -> dt.date | None:
    """The month (its 1st) up to which the member's 党费 is paid, from the dues ledger: the last month of the
    unbroken run of fully paid (or exempt) months from January of the previous year, walking months with a
    due in order up to 6 months after `on` (paid ahead, FEE-08); None when no month is paid."""
    from dangjian.dues.ledger import ledger_span, month_start

    first = dt.date(on.year - 1, 1, 1)
    last = add_months(month_start(on), 6)
    _members, rows = ledger_span(Member.objects.filter(pk=member.pk), first, last)
    through = None
    for month, row in sorted(rows.get(member.pk, {}).items()):
        if row.status not in ("paid", "exempt"):
            break
        through = month
    return through


# --- 流动党员 ---------------------------------------------------------------------------------------------------


@dataclass
class MobileItem:
    stint: MobileStint
    last_contact: dt.date | None
    next_contact: dt.date | None  # abroad only: the day by which the next contact is due
    contact_due: bool  # abroad and the next contact falls within the reminder days
    contact_overdue: bool  # abroad and the next contact day has passed
    study_from: dt.date | None = None  # abroad to study (or why not recorded): the day it passes the years
    decided_on: dt.date | None = None  # the latest decision on the stint by `as_of`
    study_suggestion: bool = False  # past the years and no decision: suggest the branch considers 停止党籍

    @property
    def member(self) -> Member:
        return self.stint.member

    @property
    def suggestion_label(self) -> str:
        return str(Suggestion.CONSIDER_SUSPENSION.label) if self.study_suggestion else ""


def study_overrun(stint, years: int) -> dt.date | None:
    """The day from which a member abroad to study (学习, or with no purpose recorded) has been away more than
    `years` years (EDU-02: 出国（境）学习研究超过5年): None when not abroad, or abroad to work or for another purpose.
    `stint`: anything with abroad, abroad_purpose and left_on (a MobileStint, the facts' AwayMember)."""
    if not stint.abroad or stint.abroad_purpose not in (AbroadPurpose.STUDY, ""):
        return None
    return add_months(stint.left_on, 12 * years) + dt.timedelta(days=1)


def open_stints(members: QuerySet, as_of: dt.date) -> QuerySet:
    decided = StintDecision.objects.filter(stint=OuterRef("pk"), decided_on__lte=as_of).order_by(
        "-decided_on"
    )
    # only members on the roll on `as_of`, as the MEM-* facts read them: one who died, left the party, was
    # suspended or transferred out while away is no longer a 流动党员 to contact (their stint stays as recorded)
    return (
        MobileStint.objects.filter(
            on_roll_q(as_of, "member__"), member__in=members.order_by().values("pk"), left_on__lte=as_of
        )
        .filter(Q(returned_on__isnull=True) | Q(returned_on__gt=as_of))
        .annotate(
            last_contact=Max("contacts__contacted_on", filter=Q(contacts__contacted_on__lte=as_of)),
            decided_on=Subquery(decided.values("decided_on")[:1]),
        )
        .select_related("member", "member__org")
        .order_by("member__org__path", "member__name_pinyin", "member__name", "member_id")
    )


def mobile_items(
    members: QuerySet, as_of: dt.date, params: MovementsParams | None = None
) -> list[MobileItem]:
    """Members away on `as_of` (one query), with the next contact due for those abroad and, for those abroad to
    study, the suggestion once past `abroad_study_years` without a decision (never acted on: a branch decides)."""
    params = params or load_params()
    months = params.abroad_contact_months.value
    soon = as_of + dt.timedelta(days=params.contact_reminder_days.value)
    items = []
    for stint in open_stints(members, as_of):
        next_contact = add_months(stint.last_contact or stint.left_on, months) if stint.abroad else None
        study_from = study_overrun(stint, params.abroad_study_years.value)
        items.append(
            MobileItem(
                stint,
                stint.last_contact,
                next_contact,
                contact_due=next_contact is not None and next_contact <= soon,
                contact_overdue=next_contact is not None and next_contact < as_of,
                study_from=study_from,
                decided_on=stint.decided_on,
                study_suggestion=study_from is not None and study_from <= as_of and stint.decided_on is None,
            )
        )
    return items


# the members flagged without a record named on the summary page (the count is exact)
UNRECORDED_SHOWN = 20


def flagged_without_stint(members: QuerySet) -> tuple[int, list[Member]]:
    """Members of `members` on the roll marked 流动党员 (the flag an import or the member form set) without an open
    外出 record: the count and the first `UNRECORDED_SHOWN` in roll order (one query, two when there are any). The
    分类统计 counts the records, the dashboard the flag: the page names those the records lack, for the branch to
    record where they went and since when."""
    open_now = MobileStint.objects.filter(member=OuterRef("pk"), returned_on__isnull=True)
    flagged = members.filter(is_mobile=True, status=MemberStatus.NORMAL).exclude(Exists(open_now))
    found = list(
        flagged.select_related("org").order_by("org__path", "name_pinyin", "name", "pk")[:UNRECORDED_SHOWN]
    )
    return (flagged.count() if found else 0), found


@lru_cache(maxsize=8)
def _waiting_sql(where_org: str) -> str:
    """`anything_waiting`'s query for a condition on the organisations `o`, written once per form of the condition
    from the models' tables and columns (the ORM built and compiled the three lists' queries on every 支部 home
    page: about 8 ms of CPU for three empty answers on most days)."""
    org, member = quoted(Org), quoted(Member)
    oid = f"o.{quoted(Org, 'id')}"

    def away(model, start: str, end: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {quoted(model)} x INNER JOIN {member} m ON m.{quoted(Member, 'id')} = "
            f"x.{quoted(model, 'member')} INNER JOIN {org} o ON {oid} = m.{quoted(Member, 'org')} "
            f"WHERE x.{quoted(model, start)} <= %s AND (x.{quoted(model, end)} IS NULL OR "
            f"x.{quoted(model, end)} > %s) AND {where_org})"
        )

    return (
        f"SELECT EXISTS (SELECT 1 FROM {quoted(Transfer)} x INNER JOIN {org} o ON {oid} = "
        f"x.{quoted(Transfer, 'to_org')} WHERE x.{quoted(Transfer, 'state')} = %s AND {where_org}), "
        f"{away(MobileStint, 'left_on', 'returned_on')}, {away(LostContact, 'lost_on', 'regained_on')}"
    )


def anything_waiting(user, org: Org | None, as_of: dt.date) -> tuple[bool, bool, bool]:
    """Whether the user's organisations (within `org`'s subtree when given) may have a transfer waiting to be
    accepted, a member away or a member out of contact on `as_of`: one query written once, so that the 支部
    home page builds the lists (`transfers_awaiting`, `mobile_items`, `lost_items`) only when there is something
    to list. A superset of each list's rows (a member out of contact who has left the party counts here)."""
    path, oid = f"o.{quoted(Org, 'path')}", f"o.{quoted(Org, 'id')}"
    where, params = scope_for(user).org_sql(path, oid)
    if org is not None:
        where, params = f"{where} AND {starts_with(path)}", [*params, like_prefix(org.path)]
    with connection.cursor() as cursor:
        cursor.execute(
            _waiting_sql(where),
            [TransferState.PENDING.value, *params, as_of, as_of, *params, as_of, as_of, *params],
        )
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1]), bool(row[2])


# --- 失联 -------------------------------------------------------------------------------------------------------


@dataclass
class LostItem:
    lost: LostContact
    suggestion: str | None  # Suggestion value
    since: dt.date | None  # the day the suggestion applies from

    @property
    def member(self) -> Member:
        return self.lost.member

    @property
    def suggestion_label(self) -> str:
        return str(Suggestion(self.suggestion).label) if self.suggestion else ""

    @property
    def suggested_status(self) -> str | None:
        if self.suggestion == Suggestion.CONSIDER_SUSPENSION:
            return MemberStatus.SUSPENDED
        if self.suggestion == Suggestion.CONSIDER_REMOVAL:
            return MemberStatus.LEFT_PARTY
        return None


def suggestion_for(
    lost_on: dt.date, status: str, suspended_from: dt.date | None, as_of: dt.date, params: MovementsParams
) -> tuple[str | None, dt.date | None]:
    """(suggestion, from when) for a member lost since `lost_on`, as of `as_of`:
    - 停止党籍 already: 除名 from `suspended_from` + lost_remove_months;
    - still 正常: 停止党籍 from `lost_on` + lost_suspend_months, 除名 a further lost_remove_months later."""
    remove = params.lost_remove_months.value
    if status == MemberStatus.SUSPENDED and suspended_from is not None:
        since = add_months(suspended_from, remove)
        return (Suggestion.CONSIDER_REMOVAL.value, since) if as_of >= since else (None, since)
    first = add_months(lost_on, params.lost_suspend_months.value)
    second = add_months(first, remove)
    if as_of >= second:
        return Suggestion.CONSIDER_REMOVAL.value, second
    if as_of >= first:
        return Suggestion.CONSIDER_SUSPENSION.value, first
    return None, first


def lost_items(members: QuerySet, as_of: dt.date, params: MovementsParams | None = None) -> list[LostItem]:
    """Members out of contact on `as_of` (正常 or 停止党籍; one query), each with its suggestion."""
    params = params or load_params()
    rows = (
        LostContact.objects.filter(
            member__in=members.order_by().values("pk"),
            member__status__in=[MemberStatus.NORMAL, MemberStatus.SUSPENDED],
            lost_on__lte=as_of,
        )
        .filter(Q(regained_on__isnull=True) | Q(regained_on__gt=as_of))
        .select_related("member", "member__org")
        .order_by("lost_on", "member__name_pinyin", "member__name", "id")
    )
    items = []
    for lost in rows:
        suggestion, since = suggestion_for(
            lost.lost_on, lost.member.status, lost.member.inactive_from, as_of, params
        )
        items.append(LostItem(lost, suggestion, since))
    return items


# --- 组织关系转接 -----------------------------------------------------------------------------------------------


def _transfers() -> QuerySet:
    return Transfer.objects.select_related("member", "from_org", "to_org")


def transfers_awaiting(user) -> list[Transfer]:
    """Pending transfers into organisations the user administers (one query)."""
    return list(_transfers().filter(state=TransferState.PENDING).filter(scope_for(user).org_q("to_org__")))


def transfers_sent(user, limit: int = 20) -> list[Transfer]:
    """Transfers inside the system started from the user's organisations: pending first, then the latest."""
    qs = _transfers().filter(kind=TransferKind.INTERNAL).filter(scope_for(user).org_q("from_org__"))
    pending = Case(When(state=TransferState.PENDING, then=Value(0)), default=Value(1))
    return list(qs.order_by(pending, "-started_on", "-id")[:limit])


def visible_transfer(user, pk: Any) -> Transfer | None:
    pk = _pk(pk)
    return _transfers().visible_to(user).filter(pk=pk).first() if pk is not None else None


def pending_transfers(orgs_q: Q, as_of: dt.date) -> list[Transfer]:
    """Transfers inside the system pending on `as_of` (started by then, not decided by then) whose sending or
    receiving organisation matches `orgs_q` (a Q over `from_org__`/`to_org__`)."""
    return list(
        _transfers()
        .filter(kind=TransferKind.INTERNAL, started_on__lte=as_of)
        .filter(Q(state=TransferState.PENDING) | Q(decided_on__gt=as_of))
        .filter(orgs_q)
        .order_by("started_on", "id")
    )


# --- summary ----------------------------------------------------------------------------------------------------

COUNTS = ("active", "retired", "mobile", "lost", "suspended")


@dataclass
class SummaryLine:
    label: str
    org: Org | None = None
    unit: str = ""
    is_unit: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, counts: dict[str, int]) -> None:
        for key in COUNTS:
            self.counts[key] += counts.get(key, 0)

    @property
    def on_roll(self) -> int:
        return self.counts["active"] + self.counts["retired"]


def _counted(members: QuerySet, as_of: dt.date) -> tuple[QuerySet, dict[str, Count]]:
    """`members` marked away and out of contact on `as_of`, and the COUNTS over them."""
    away = MobileStint.objects.filter(member=OuterRef("pk"), left_on__lte=as_of).filter(
        Q(returned_on__isnull=True) | Q(returned_on__gt=as_of)
    )
    lost = LostContact.objects.filter(member=OuterRef("pk"), lost_on__lte=as_of).filter(
        Q(regained_on__isnull=True) | Q(regained_on__gt=as_of)
    )
    roll = on_roll_q(as_of)
    counts = {
        "active": Count("pk", filter=roll & Q(work_status=WorkStatus.ACTIVE)),
        "retired": Count("pk", filter=roll & Q(work_status=WorkStatus.RETIRED)),
        "mobile": Count("pk", filter=roll & Q(is_away=True)),
        "lost": Count("pk", filter=roll & Q(is_lost=True)),
        "suspended": Count("pk", filter=Q(status=MemberStatus.SUSPENDED)),
    }
    return members.annotate(is_away=Exists(away), is_lost=Exists(lost)), counts


def summary_total(members: QuerySet, as_of: dt.date) -> SummaryLine | None:
    """The summary's total line alone (`summary(members, as_of)[-1]`), counted in one query without a line per
    branch (the 工委's overview built the city's 2,500 lines to show their total); None without members."""
    marked, counts = _counted(members, as_of)
    found = marked.order_by().aggregate(members=Count("pk"), **counts)
    if not found["members"]:
        return None
    total = SummaryLine(gettext("合计"), is_unit=True)
    total.add(found)
    return total


def branch_counts(members: QuerySet, as_of: dt.date) -> dict[int, dict[str, int]]:
    """Per 党支部 (a 党小组's members in its branch; one query): on the roll on `as_of` 在职 and 离退休, and of
    them 流动 (away on `as_of`) and 失联 (out of contact on `as_of`); 停止党籍 (status now)."""
    marked, counts = _counted(members, as_of)
    rows = marked.values("org_id", "org__type", "org__parent_id").annotate(**counts).order_by()
    result: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for row in rows:
        branch = row["org__parent_id"] if row["org__type"] == OrgType.XIAOZU else row["org_id"]
        for key in COUNTS:
            result[branch][key] += row[key]
    return result


def summary(members: QuerySet, as_of: dt.date) -> list[SummaryLine]:
    """Per 党支部 counts, each 单位's subtotal after its branches, then the total (two queries)."""
    counts = branch_counts(members, as_of)
    orgs = {
        o.pk: o for o in Org.objects.filter(pk__in=list(counts)).only("id", "name", "code", "path", "unit")
    }
    lines: list[SummaryLine] = []
    by_unit: dict[str, list[SummaryLine]] = defaultdict(list)
    for org in sorted(orgs.values(), key=lambda o: o.path):
        line = SummaryLine(org.name, org, org.unit or "")
        line.add(counts[org.pk])
        by_unit[line.unit].append(line)
    total = SummaryLine(gettext("合计"), is_unit=True)
    for unit, unit_lines in by_unit.items():
        lines.extend(unit_lines)
        subtotal = SummaryLine(
            gettext("%(unit)s 小计") % {"unit": unit or gettext("其他")}, unit=unit, is_unit=True
        )
        for line in unit_lines:
            subtotal.add(line.counts)
            total.add(line.counts)
        lines.append(subtotal)
    if lines:
        lines.append(total)
    return lines


# --- the member page ----------------------------------------------------------------------------------------------


@dataclass
class MemberMovements:
    member: Member
    status_changes: list
    stints: list
    lost: list
    transfers: list
    open_stint: MobileStint | None = None
    open_lost: LostContact | None = None
    pending_transfer: Transfer | None = None
    study_from: dt.date | None = None  # the open stint abroad to study: the day it passes the years
    study_suggestion: bool = False  # past them on `as_of` without a decision recorded


def member_movements(
    member: Member, as_of: dt.date | None = None, params: MovementsParams | None = None
) -> MemberMovements:
    """Everything the member page shows (four queries plus one for the stints' contacts and one for their
    decisions), with the suggestion for a member abroad to study beyond `abroad_study_years` on `as_of`."""
    from django.db.models import Prefetch

    from dangjian.movements.models import MobileContact

    as_of = as_of or dt.date.today()
    changes = list(member.status_changes.select_related("org", "created_by").order_by("-effective_on", "-id"))
    stints = list(
        member.mobile_stints.prefetch_related(
            Prefetch("contacts", queryset=MobileContact.objects.order_by("-contacted_on", "-id")),
            Prefetch("decisions", queryset=StintDecision.objects.order_by("-decided_on", "-id")),
        ).order_by("-left_on", "-id")
    )
    lost = list(member.lost_contacts.order_by("-lost_on", "-id"))
    transfers = list(member.transfers.select_related("from_org", "to_org").order_by("-started_on", "-id"))
    open_stint = next((s for s in stints if s.returned_on is None), None)
    study_from = None
    decided = False
    if open_stint is not None:
        study_from = study_overrun(open_stint, (params or load_params()).abroad_study_years.value)
        decided = any(d.decided_on <= as_of for d in open_stint.decisions.all())
    return MemberMovements(
        member,
        changes,
        stints,
        lost,
        transfers,
        open_stint=open_stint,
        open_lost=next((x for x in lost if x.regained_on is None), None),
        pending_transfer=next((t for t in transfers if t.state == TransferState.PENDING), None),
        study_from=study_from,
        study_suggestion=study_from is not None and study_from <= as_of and not decided,
    )
