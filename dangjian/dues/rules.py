"""党费 checks (DUES-*), pure functions over a 党支部's DuesFacts (facts.py). Each member's ledger is computed
by dues.kernel — the same code as the ledger pages and `dangjian dues` — once per evaluation and shared by the
three rules as one status code per month (`month_codes`):

- a month is overdue from the day after the branch's 集中交纳日 (default: the month's last day);
- arrears: the runs of consecutive unpaid (or partly paid) overdue months, over the months from January of
  the previous year; a run of `case_months` or more is a case the branch must review. `runs: latest` (v2–v4,
  as published) looks at the latest run only, `runs: all` (v5) at every run.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Literal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window, required_periods
from dangjian.compliance.registry import (
    Link,
    Outcome,
    Params,
    dissolved,
    iso,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
    register_value_labels,
    some_names,
)
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core.messages import Join, Message
from dangjian.dues import kernel
from dangjian.dues.facts import DuesFacts, DuesMember
from dangjian.dues.kernel import DECLARED_CODES, UNPAID_CODES, month_index, month_of
from dangjian.dues.ledger import CASE_MONTHS, due_on

NAMES_SHOWN = 10


def month_codes(dues: DuesFacts, first: int, last: int) -> dict[int, str]:
    """member id → one code per month first..last (month indices), computed once per DuesFacts and range."""
    key = ("codes", first, last)
    codes = dues.memo.get(key)
    if codes is None:
        codes = {member.id: _codes(member, first, last) for member in dues.members}
        dues.memo[key] = codes
    return codes


def _codes(member: DuesMember, first: int, last: int) -> str:
    if member.codes is not None:  # the current ledger snapshot (dues.snapshots) covers first..last
        offset = first - member.codes_start
        return member.codes[offset : offset + last - first + 1]
    return kernel.month_codes(
        joined_on=member.joined_on,
        inactive_from=None,  # the facts hold only members on the roll on D
        bases=member.bases,
        reliefs=member.reliefs,
        payments=member.payments,
        first=first,
        last=last,
    )


def _span(as_of: dt.date) -> tuple[int, int]:
    """The months every DUES-* rule looks at: January of the previous year … the month of D."""
    return month_index(dt.date(as_of.year - 1, 1, 1)), month_index(as_of)


def overdue(month: dt.date, collection_day: int | None, as_of: dt.date) -> bool:
    """Overdue from the day after the branch's 集中交纳日 in that month."""
    return as_of > due_on(month, collection_day)


def runs_of(code: str, first: int, overdue_until: int) -> list[tuple[int, int]]:
    """(length, last month index) of every run of consecutive unpaid months among first..overdue_until, in
    order."""
    months = max(0, overdue_until - first + 1)
    span = code[:months]
    if len(span) < months:
        raise IndexError("党费台账月份不足")
    # a run of unpaid months is a run of their codes (kernel.unpaid_runs, at C speed over a city's ledgers)
    return [(m.end() - m.start(), first + m.end() - 1) for m in _UNPAID_RUN.finditer(span)]


_UNPAID_RUN = re.compile("[" + "".join(sorted(UNPAID_CODES)) + "]+")
_SETTLED = "".join(sorted(DECLARED_CODES - UNPAID_CODES))  # paid in full, exempt
_UNDECLARED = re.compile("[^" + "".join(sorted(DECLARED_CODES)) + "]")
if UNPAID_CODES != {"q", "u"} or DECLARED_CODES != {
    "p",
    "q",
    "u",
    "e",
}:  # dues_paid_monthly counts them by name
    raise ImportError("dues.kernel's month codes changed: update dues_paid_monthly's counts")
_NOT_YET = "."  # in member_codes: a month before the member joined (their code there is "-", no line, anyway)
_OPEN = re.compile(
    "[^" + _SETTLED + _NOT_YET + "]"
)  # in member_codes: unpaid, partly paid or no declared base


def member_codes(dues: DuesFacts, first: int, last: int) -> dict[int, str]:
    """member id → the codes of month_codes with the months before the member joined as "." : every other month
    without a line ("-") or amount ("x") is one in which they were a member without a declared base, so a month's
    column is counted by str.count alone (DUES-PAID-MONTHLY with undeclared: unpaid)."""
    key = ("member", first, last)
    found = dues.memo.get(key)
    if found is None:
        codes = month_codes(dues, first, last)
        found = {}
        for member in dues.members:
            code = codes[member.id]
            before = min(max(month_index(member.joined_on) - first, 0), len(code))
            found[member.id] = _NOT_YET * before + code[before:] if before else code
        dues.memo[key] = found
    return found


@lru_cache(maxsize=16)
def _long_run(months: int) -> re.Pattern[str]:
    """A run of at least `months` unpaid months."""
    return re.compile("[" + "".join(sorted(UNPAID_CODES)) + "]{" + str(months) + ",}")


def _last_overdue(first: int, last: int, collection_day: int | None, as_of: dt.date) -> int:
    """The last month index of first..last that is overdue on `as_of` (first - 1 when none is)."""
    index = last
    while index >= first and not overdue(month_of(index), collection_day, as_of):
        index -= 1
    return index


def names(members: list[DuesMember]) -> Join | Message:
    return some_names([m.name for m in members], NAMES_SHOWN)


def _run(months: int) -> Message:
    """ "连续6个月以上" """
    return Message.plural("连续%(n)s个月以上", n=months)


def _dues(facts: OrgFacts) -> DuesFacts:
    dues = facts.extra.get("dues")
    if dues is None:
        raise ValueError("党费数据未加载")
    return dues


def _label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


# --- DUES-BASE-DECLARED ------------------------------------------------------------------------------


class NoParams(Params):
    pass


def _sheet_link(label):
    """The compliance page's way to put a failing DUES-* result right: the branch's collection sheet, which names
    the members without a declared base and leads to each one's declaration and payments."""

    def link(rule, org, status: str) -> Link | None:
        if status != "fail":
            return None
        return Link(f"{reverse('dues:sheet')}?{urlencode({'org': org.id})}", str(label), primary=True)

    return link


@register(
    "dues_base_declared",
    NoParams,
    facts=("dues",),
    label=_l("党费基数申报"),
    link=_sheet_link(_l("去申报缴费基数")),
)
def dues_base_declared(facts: OrgFacts, window: Window, p: NoParams) -> Outcome:
    """Every member (joined by D) has a declared base in force in every month of the window from the month
    they joined; missing: the months in which some member has none. Not applicable once dissolved."""
    if window.closed:
        return dissolved(window)
    dues = _dues(facts)
    if not dues.members:
        return Outcome(
            "pass", Message("已满足：%(day)s本支部没有需要登记党费基数的党员。", day=iso(window.as_of))
        )
    first, last = _span(window.as_of)
    codes = month_codes(dues, first, last)
    window_first, window_last = month_index(window.start), month_index(window.end)
    lacking: list[DuesMember] = []
    missing: set[int] = set()
    if any(len(code) < last - first + 1 for code in codes.values()):
        raise IndexError("党费台账月份不足")
    end = window_last - first + 1
    # members who joined in or before the window's first month are looked at from it: one search each over
    # their codes (most find nothing); the month of joining is computed only for those who joined later
    boundary = month_of(window_first + 1)
    for member in dues.members:
        code = codes[member.id]
        if member.joined_on < boundary:
            start = window_first
        else:
            start = max(window_first, month_index(member.joined_on))
        if _UNDECLARED.search(code, start - first, end) is None:
            continue
        lacking.append(member)
        missing.update(first + m.start() for m in _UNDECLARED.finditer(code, start - first, end))
    if not lacking:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s名党员均已登记%(year)s年度的缴费类别和月缴费基数。",
                n=len(dues.members),
                year=window.year,
            ),
        )
    months = [_label(month_of(i)) for i in sorted(missing)]
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s名党员未登记%(year)s年度有效的缴费类别和月缴费基数（%(names)s），涉及月份：%(months)s。",
            n=len(lacking),
            year=window.year,
            names=names(lacking),
            months=Join(months),
        ),
        months,
    )


# --- DUES-PAID-MONTHLY --------------------------------------------------------------------------------


class PaidMonthlyParams(Params):
    # ignored: a month in which a member has no declared base (no amount due) is not looked at for that member
    # (v2–v8 as published: a branch that declared no base passed as "全体党员均已交清"); unpaid (v9): a member
    # of the branch in that month without a declared base counts as not paid in full — nobody can say they
    # paid what they owe (DUES-BASE-DECLARED names the missing declaration beside it)
    undeclared: Literal["ignored", "unpaid"] = "ignored"


@register(
    "dues_paid_monthly",
    PaidMonthlyParams,
    facts=("dues",),
    label=_l("按月交纳党费"),
    link=_sheet_link(_l("去收缴党费")),
)
def dues_paid_monthly(facts: OrgFacts, window: Window, p: PaidMonthlyParams) -> Outcome:
    """Every required month (entirely inside the window) that is overdue on D is fully paid (or exempt) by
    every member with a due in it; missing: the months with any unpaid or partly paid member. With
    `undeclared: unpaid` (v9) a member in the month (joined by its end) without a declared base counts too."""
    dues = _dues(facts)
    months = [
        period.start
        for period in required_periods(window, "month")
        if overdue(period.start, dues.collection_day, window.as_of)
    ]
    if not months:
        return Outcome(
            "pending",
            Message("待定：截至%(day)s尚无已过党费集中交纳日的完整月份需要检查。", day=iso(window.as_of)),
        )
    first, last = _span(window.as_of)
    codes = month_codes(dues, first, last)
    offsets = {month: month_index(month) - first for month in months}
    unpaid_by_month: dict[dt.date, int] = {}
    if any(len(code) != last - first + 1 for code in codes.values()):
        raise IndexError("党费台账月份不足")
    undeclared = p.undeclared == "unpaid"
    if undeclared:  # a member without a declared base in a month they belonged to the branch counts too
        codes = member_codes(dues, first, last)
    columns = list(zip(*codes.values(), strict=True))  # one tuple of the members' codes per month
    undeclared_by_month: dict[dt.date, int] = {}
    for month, offset in offsets.items():
        column = columns[offset] if columns else ()
        n = column.count("q") + column.count("u")  # UNPAID_CODES
        if undeclared:
            lacking = len(column) - n - column.count("p") - column.count("e") - column.count(_NOT_YET)
            if lacking:
                undeclared_by_month[month] = lacking
                n += lacking
        if n:
            unpaid_by_month[month] = n
    if not unpaid_by_month:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(year)s年需检查的%(n)s个月（已过集中交纳日）全体党员均已交清党费。",
                year=window.year,
                n=len(months),
            ),
        )
    missing = sorted(unpaid_by_month)
    if p.undeclared == "unpaid":
        return _unpaid_v9(dues, codes, window, missing, offsets, unpaid_by_month, undeclared_by_month)
    details = Join(
        Message.plural("%(month)s（%(n)s人）", month=_label(m), n=unpaid_by_month[m]) for m in missing
    )
    return Outcome(
        "fail",
        Message.plural(
            "%(year)s年有%(n)s个月党员未交清党费（未交或部分交纳）：%(details)s。",
            year=window.year,
            n=len(missing),
            details=details,
        ),
        [_label(m) for m in missing],
    )


def _unpaid_v9(
    dues: DuesFacts,
    codes: dict[int, str],
    window: Window,
    missing: list[dt.date],
    offsets: dict[dt.date, int],
    unpaid: dict[dt.date, int],
    undeclared: dict[dt.date, int],
) -> Outcome:
    """The failure as v9 words it: consecutive months with the same figures in one range ("2026-01~2026-11（每月
    1人，其中1人未申报缴费基数）", not eleven times the same), and the members concerned named — those unpaid, or
    without a declared base while members, in some month listed (the months between the first and the last
    listed are all required, so one search of each member's codes over them finds them). `codes`: member_codes."""
    groups: list[tuple[dt.date, dt.date, int, int]] = []
    for m in missing:
        figures = (unpaid[m], undeclared.get(m, 0))
        last = groups[-1] if groups else None
        if last is not None and (last[2], last[3]) == figures and month_index(m) == month_index(last[1]) + 1:
            groups[-1] = (last[0], m, *figures)
        else:
            groups.append((m, m, *figures))
    parts = []
    for start, end, n, lacking in groups:
        months = _label(start) if start == end else f"{_label(start)}~{_label(end)}"
        if lacking:
            wording = (
                "%(month)s（%(n)s人，其中%(undeclared)s人未申报缴费基数）"
                if start == end
                else "%(month)s（每月%(n)s人，其中%(undeclared)s人未申报缴费基数）"
            )
            parts.append(Message.plural(wording, month=months, n=n, undeclared=lacking))
        else:
            wording = "%(month)s（%(n)s人）" if start == end else "%(month)s（每月%(n)s人）"
            parts.append(Message.plural(wording, month=months, n=n))
    lo, hi = offsets[missing[0]], offsets[missing[-1]] + 1
    involved = [member for member in dues.members if _OPEN.search(codes[member.id], lo, hi) is not None]
    kw = {"year": window.year, "n": len(missing), "details": Join(parts), "names": names(involved)}
    if undeclared:
        text = Message.plural(
            "%(year)s年有%(n)s个月党员未交清党费（未交、部分交纳，或未申报缴费基数而无法确认足额交纳）："
            "%(details)s。涉及党员：%(names)s。",
            **kw,
        )
    else:
        text = Message.plural(
            "%(year)s年有%(n)s个月党员未交清党费（未交或部分交纳）：%(details)s。涉及党员：%(names)s。", **kw
        )
    return Outcome("fail", text, [_label(m) for m in missing])


# --- DUES-ARREARS-CASE --------------------------------------------------------------------------------


class ArrearsCaseParams(Params):
    case_months: int = Field(ge=1)
    # latest: only the latest run of unpaid months is judged (v2–v4 as published); all: every run in the
    # months looked at (v5): a run of case_months stays a case until a review covers it, even once paid again
    runs: Literal["latest", "all"] = "latest"


def arrears_case_params() -> ArrearsCaseParams:
    """The parameters of the latest rulebook's dues_arrears_case rule: the arrears page and `dangjian dues
    arrears` derive cases as the rule does. Without such a rule: 6 months, every run."""
    rule = next((r for r in load_ruleset().rules if r.check == "dues_arrears_case"), None)
    if rule is None:
        return ArrearsCaseParams(case_months=CASE_MONTHS, runs="all")
    return rule.typed_params


def case_runs(code: str, first: int, overdue_until: int, p: ArrearsCaseParams) -> list[tuple[int, int]]:
    """(length, last month index) of the runs of `case_months` or more unpaid overdue months the rule judges:
    the latest run only (runs: latest) or every run (runs: all)."""
    runs = runs_of(code, first, overdue_until)
    if p.runs == "latest":
        runs = runs[-1:]
    return [(length, end) for length, end in runs if length >= p.case_months]


def reviewed(reviewed_through: dt.date | None, end: int) -> bool:
    """A run is covered by a review (dated by D) whose 审查所涉截至月份 is on or after the run's last month."""
    return reviewed_through is not None and month_index(reviewed_through) >= end


@register("dues_arrears_case", ArrearsCaseParams, facts=("dues",), label=_l("连续欠缴审查"))
def dues_arrears_case(facts: OrgFacts, window: Window, p: ArrearsCaseParams) -> Outcome:
    """No member with a run of unpaid overdue months (as of D) of `case_months` or longer — the latest run,
    or every run with `runs: all` — without a review (dated by D) whose through_month is on or after the
    run's last month; missing: the unreviewed runs as "YYYY-MM~YYYY-MM". Not applicable once dissolved."""
    if window.closed:
        return dissolved(window)
    dues = _dues(facts)
    first, last = _span(window.as_of)
    codes = month_codes(dues, first, last)
    overdue_until = _last_overdue(first, last, dues.collection_day, window.as_of)
    cases, unreviewed = 0, []
    members_unreviewed: set[int] = set()
    months = max(0, overdue_until - first + 1)
    long_run = _long_run(p.case_months)
    for member in dues.members:
        code = codes[member.id]
        if len(code) >= months and long_run.search(code, 0, months) is None:
            continue  # no run of case_months unpaid months at all (most members): no case, whichever runs
        runs = case_runs(code, first, overdue_until, p)
        if not runs:
            continue
        cases += 1
        for length, end in runs:
            if not reviewed(member.reviewed_through, end):
                unreviewed.append((member, month_of(end + 1 - length), month_of(end), length))
                members_unreviewed.add(member.id)
    if not unreviewed:
        if cases:
            return Outcome(
                "pass",
                Message.plural(
                    "已满足：%(run)s未交纳党费的%(n)s名党员均已经支部审查。", run=_run(p.case_months), n=cases
                ),
            )
        return Outcome(
            "pass",
            Message(
                "已满足：截至%(day)s没有%(run)s未交纳党费的党员。",
                day=iso(window.as_of),
                run=_run(p.case_months),
            ),
        )
    details = Join(
        Message.plural(
            "%(name)s（%(start)s至%(end)s，连续%(n)s个月）", name=m.name, start=_label(s), end=_label(e), n=n
        )
        for m, s, e, n in unreviewed
    )
    missing = sorted(f"{_label(s)}~{_label(e)}" for _m, s, e, _n in unreviewed)
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s名党员%(run)s未交纳党费，尚无支部审查记录：%(details)s。",
            n=len(members_unreviewed),
            run=_run(p.case_months),
            details=details,
        ),
        missing,
    )


register_param_labels(
    {
        "case_months": _l("连续未交月数"),
        "runs": _l("审查哪些连续欠缴"),
        "undeclared": _l("未申报缴费基数的月份"),
    }
)
register_value_labels("undeclared", {"ignored": _l("不计入"), "unpaid": _l("按未交清计")})
register_value_labels("runs", {"latest": _l("仅最近一段连续欠缴"), "all": _l("每一段连续欠缴")})


# the overview's column headings
register_short_titles(
    {
        "DUES-BASE-DECLARED": _l("基数申报"),
        "DUES-PAID-MONTHLY": _l("按月交纳"),
        "DUES-ARREARS-CASE": _l("欠缴审查"),
    }
)

register_area(
    "dues",
    _l("党费"),
    order=30,
    kinds=(
        "dues_base_declared",
        "dues_paid_monthly",
        "dues_arrears_case",
    ),
)
