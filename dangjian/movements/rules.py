"""Member movement checks (MEM-*): pure functions over the movement facts (dangjian.movements.facts, the
"movements" provider): per 党支部, its members on the roll on D who are away on D.

- `mem_transfer_due`: away at a fixed place for `away_months` without the relation transferred (MEM-TRANSFER-DUE);
- `mem_mobile_contact`: abroad without a contact for `contact_months` (MEM-MOBILE-CONTACT);
- `mem_abroad_study`: abroad to study for more than `study_years` years without a decision recorded on the stint
  (MEM-ABROAD-STUDY-5Y), a suggestion like 失联's: the branch decides, nothing changes by itself.

The first two compare each member's deadline (`transfer_deadline`, `contact_deadline`: a start date plus the rule's
months) with D; the work list shows a failed result's item due on the same day (movements.workbench)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Link,
    Outcome,
    Params,
    dissolved,
    iso,
    month_count,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
)
from dangjian.core.dates import add_months
from dangjian.core.messages import Join, Message
from dangjian.movements import facts as _movements_facts  # noqa: F401  (registers the "movements" provider)
from dangjian.movements.facts import AwayMember
from dangjian.movements.selectors import study_overrun


def _away(facts: OrgFacts):
    value = facts.extra.get("movements")
    if value is None:
        raise ValueError("流动党员数据未加载")
    return value.away


class TransferDueParams(Params):
    away_months: int = Field(ge=1)
    # v8: a member away abroad (出国（境）) is not asked to transfer the relation: MEM-MOBILE-CONTACT and
    # MEM-ABROAD-STUDY-5Y cover them (v3–v7 as published: counted like anyone at a fixed place)
    exclude_abroad: bool = False


def transfer_deadline(a: AwayMember, p: TransferDueParams) -> dt.date | None:
    """The last day before a member away at a fixed place has been away `away_months` (满, the first D with
    left_on ≤ D − away_months, when the check fails: left_on + away_months, or the 1st of the next month when that
    month has no such day — left on 31 August, 6 months: 满 on 1 March, the deadline 28 February). None for a
    member the rule does not ask to transfer: not at a fixed place, the relation moved, or away abroad with
    `exclude_abroad` (v8)."""
    if not a.fixed_place or a.moved or (p.exclude_abroad and a.abroad):
        return None
    full = add_months(a.left_on, p.away_months)
    if add_months(full, -p.away_months) < a.left_on:  # clamped to a shorter month's end: not yet 满 on it
        return full
    return full - dt.timedelta(days=1)


@register("mem_transfer_due", TransferDueParams, facts=("movements",), label=_l("组织关系及时转接"))
def mem_transfer_due(facts: OrgFacts, window: Window, p: TransferDueParams) -> Outcome:
    """No member away at a fixed place since `away_months` or more before D (left_on ≤ D − away_months: D is
    after their `transfer_deadline`) whose relation has not moved (no accepted transfer decided after leaving, no
    transfer out); missing: their names. With `exclude_abroad` (v8) a member away abroad is not counted. Not
    applicable once dissolved."""
    if window.closed:
        return dissolved(window)
    due = [a for a in _away(facts) if (day := transfer_deadline(a, p)) is not None and day < window.as_of]
    months = month_count(p.away_months)
    if not due:
        return Outcome(
            "pass",
            Message(
                "已满足：截至%(day)s没有在固定地点外出满%(months)s而未转接组织关系的党员。",
                day=iso(window.as_of),
                months=months,
            ),
        )
    details = Join(
        Message(
            "%(name)s（%(day)s起在%(place)s%(pending)s）",
            name=a.name,
            day=iso(a.left_on),
            place=a.destination,
            pending=Message("，转接待接收") if a.pending else "",
        )
        for a in due
    )
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s名党员在固定地点外出满%(months)s，组织关系尚未转接：%(details)s。",
            n=len(due),
            months=months,
            details=details,
        ),
        [a.name for a in due],
    )


class MobileContactParams(Params):
    contact_months: int = Field(ge=1)


def contact_deadline(a: AwayMember, p: MobileContactParams) -> dt.date | None:
    """The day by which a member abroad is to be contacted again: `contact_months` after the latest contact (on or
    before D, as the facts hold it) or, without one, after leaving. None for a member not abroad."""
    if not a.abroad:
        return None
    return add_months(a.last_contact or a.left_on, p.contact_months)


@register("mem_mobile_contact", MobileContactParams, facts=("movements",), label=_l("流动党员定期联系"))
def mem_mobile_contact(facts: OrgFacts, window: Window, p: MobileContactParams) -> Outcome:
    """Every member abroad on D was contacted within `contact_months` (since the latest contact on or before D,
    or since leaving): overdue when that day + contact_months (`contact_deadline`) is before D; missing: their
    names."""
    if window.closed:
        return dissolved(window)
    abroad = [a for a in _away(facts) if a.abroad]
    overdue = [a for a in abroad if (day := contact_deadline(a, p)) is not None and day < window.as_of]
    months = month_count(p.contact_months)
    if not overdue:
        if abroad:
            return Outcome(
                "pass",
                Message.plural(
                    "已满足：%(n)s名出国（境）党员均在%(months)s内有联系记录。", n=len(abroad), months=months
                ),
            )
        return Outcome(
            "pass", Message("已满足：截至%(day)s本支部没有出国（境）的流动党员。", day=iso(window.as_of))
        )
    details = Join(
        Message(
            "%(name)s（%(detail)s）",
            name=a.name,
            detail=Message("上次联系%(day)s", day=iso(a.last_contact))
            if a.last_contact
            else Message("%(day)s出境后无联系记录", day=iso(a.left_on)),
        )
        for a in overdue
    )
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s名出国（境）党员超过%(months)s未联系：%(details)s。",
            n=len(overdue),
            months=months,
            details=details,
        ),
        [a.name for a in overdue],
    )


class AbroadStudyParams(Params):
    study_years: int = Field(ge=1)


def movements_link(rule, org, status: str) -> Link | None:
    """The branch's movements page, where the suggestion and the member's stint are (for an open result)."""
    if status != "fail" or org.type != "zhibu":
        return None
    return Link(reverse("movements:index") + "?" + urlencode({"org": org.id}), str(_l("查看出国（境）党员")))


@register(
    "mem_abroad_study",
    AbroadStudyParams,
    facts=("movements",),
    label=_l("出国（境）学习满期处理"),
    link=movements_link,
)
def mem_abroad_study(facts: OrgFacts, window: Window, p: AbroadStudyParams) -> Outcome:
    """No member abroad to study (or abroad with no purpose recorded) on D has been away more than `study_years`
    years (from the day after left_on + study_years) without a decision recorded on the stint by D; missing:
    their names. A suggestion: the branch decides (EDU-02 says 一般 停止党籍). Not applicable without such a member
    on D, or once dissolved."""
    if window.closed:
        return dissolved(window)
    studying = [(a, day) for a in _away(facts) if (day := study_overrun(a, p.study_years)) is not None]
    if not studying:
        return Outcome(
            "not_applicable",
            Message("不适用：截至%(day)s本支部没有出国（境）学习的党员。", day=iso(window.as_of)),
        )
    due = [(a, day) for a, day in studying if day <= window.as_of and a.decided_on is None]
    if not due:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s名出国（境）学习的党员均未超过%(years)s年或已作出处理决定。",
                n=len(studying),
                years=p.study_years,
            ),
        )
    details = Join(
        Message("%(name)s（%(day)s出国（境）学习）", name=a.name, day=iso(a.left_on))
        if a.abroad_purpose
        else Message("%(name)s（%(day)s出国（境），事由未登记）", name=a.name, day=iso(a.left_on))
        for a, _day in due
    )
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s名党员出国（境）学习超过%(years)s年仍未回国（境），尚未作出处理决定，建议支部研究：%(details)s。",
            n=len(due),
            years=p.study_years,
            details=details,
        ),
        [a.name for a, _day in due],
    )


register_param_labels(
    {
        "grace_days": _l("宽限天数"),
        "away_months": _l("外出月数"),
        "exclude_abroad": _l("出国（境）党员不要求转接"),
        "contact_months": _l("联系间隔月数"),
        "study_years": _l("学习年限（年）"),
    }
)


# the overview's column headings
register_short_titles(
    {
        "MEM-TRANSFER-DUE": _l("关系转接"),
        "MEM-MOBILE-CONTACT": _l("流动联系"),
        "MEM-ABROAD-STUDY-5Y": _l("出国学习"),
    }
)

register_area(
    "movements",
    _l("党员管理"),
    order=80,
    kinds=(
        "mem_transfer_due",
        "mem_mobile_contact",
        "mem_abroad_study",
    ),
)
