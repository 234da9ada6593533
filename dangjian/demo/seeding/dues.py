"""党费 of the reference year for the seed: a base for every member, the branches' collection days, and
the payments of January to October (the reference date is 1 November).

Pure Python over the finished plan, from its own seeded RNG (the rest of the plan is unchanged by it).
Amounts are computed in memory with `dangjian.dues.calculator.monthly_due` (Decimal only), exactly as
the ledger computes what is due, so a fully paid month is paid to the cent.

What is drawn:

- bases: 在职 by job level (most 6,000–18,000 元 after tax, a few at or below the 3,000 / 5,000 /
  10,000 元 bracket bounds), 离退休 pensions of 4,000–9,000 元, a few 其他 with an amount set by the
  branch; from January, or from the month of joining for those who joined during the year; a few
  changes of pay during the year (a second row from the month of the new pay);
- collection days: most 党支部 between the 5th and the 25th, the others keep the default (the last day);
- payments: most members pay each month on or before their branch's day, mostly by 银行转账 or 线上,
  some in 现金; a few have another member of the branch pay for them (代缴); a few pay a quarter at a
  time in advance ("2026-01~2026-03"); about 5% have one month paid late or only in part; about 2%
  stopped paying 3–5 months ago (warning) and a handful 6 or more months ago (case); a few voluntary
  extra payments, at least one of 1,000 元 or more (remitted to the 中央).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from dangjian.demo.seeding.people import REFERENCE_DATE
from dangjian.demo.seeding.specs import DuesBaseSpec, DuesPaymentSpec, Plan
from dangjian.dues.calculator import CENT, monthly_due, round_money
from dangjian.dues.choices import DuesCategory, PaymentMethod
from dangjian.dues.rates import load_rates
from dangjian.members.choices import WorkStatus
from dangjian.orgs.choices import OrgType

YEAR = REFERENCE_DATE.year
YEAR_START = dt.date(YEAR, 1, 1)
LAST_MONTH = 10  # payments for January..October (November's collection day is still to come)

COLLECTION_DAY_SHARE = 0.85  # 党支部 with their own collection day
OTHER_SHARE = 0.01  # 在职 members in the 其他 category (an amount set by the branch)
EDGE_SHARE = 0.06  # 在职 bases at or below a bracket bound
PAY_CHANGE_SHARE = 0.03
WARNING_SHARE = 0.02  # 3–5 consecutive unpaid months
CASE_SHARE = 0.003  # 6 or more (at least two at every scale)
QUARTERLY_SHARE = 0.04
PROXY_SHARE = 0.03  # 代缴 by another member of the branch
IRREGULAR_SHARE = 0.05  # one month paid late or in part
EXTRA_SHARE = 0.01
LARGE_EXTRA_SHARE = 0.0005  # voluntary extra payments of 1,000 元 or more (at least one)

METHODS = (PaymentMethod.TRANSFER.value, PaymentMethod.ONLINE.value, PaymentMethod.CASH.value)
METHOD_WEIGHTS = (0.45, 0.42, 0.13)

# 在职 after-tax monthly pay by job level (元, whole yuan drawn, then cents)
PAY_BY_LEVEL = (
    (
        ("局长", "秘书长", "院长", "总队长", "主席", "会长", "理事长", "检察长", "站长", "所长", "馆长"),
        (15000, 18000),
    ),
    (("处长", "一级调研员", "二级调研员"), (11000, 15500)),
    (("科长", "调研员", "主管"), (8500, 12500)),
    (("主任科员", "专技人员", "管理人员"), (7000, 10500)),
)
DEFAULT_PAY = (6000, 9000)
HEAD_PAY = (13000, 17000)  # a unit's head or deputy, or the head of an institution


MONTHS = [YEAR_START, *(dt.date(YEAR, n, 1) for n in range(1, 13))]  # MONTHS[n]: month n (1..12)
DAYS = [dt.timedelta(days=n) for n in range(32)]


def _last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(slots=True)
class _Payer:
    """A member's payment habits: index, joining date, usual method, 代缴 payer, dues and due dates by month."""

    member: int
    joined: dt.date
    method: str
    payer: int | None
    dues: list[Decimal]
    due_dates: list[dt.date]


class _Dues:
    def __init__(self, plan: Plan, seed: int):
        self.plan = plan
        self.rng = random.Random(f"dangjian-dues-{seed}")
        self.cache: dict[tuple, Decimal] = {}
        rates = load_rates()
        self.schedules = {n: rates.schedule_for(MONTHS[n]) for n in range(1, 13)}
        self.threshold = rates.extra_remit_threshold

    # --- amounts --------------------------------------------------------------------------------
    def due(self, base: DuesBaseSpec, n: int) -> Decimal:
        """What `base` makes due for month n, as `monthly_due` computes it, cached per base and rate schedule.
        Bracket rates are applied here with the calculator's own rounding, because `monthly_due` re-reads
        the rate file's status on every call (a few seconds for the municipal scale's 60,000 bases)."""
        schedule = self.schedules[n]
        key = (base.category, base.monthly_base, base.fixed_amount, schedule.effective_from)
        amount = self.cache.get(key)
        if amount is None:
            if base.category in schedule.brackets and base.monthly_base is not None:
                amount = round_money(base.monthly_base * schedule.rate_for(base.category, base.monthly_base))
            else:
                amount = monthly_due(
                    base.category, base.monthly_base, MONTHS[n], fixed_amount=base.fixed_amount
                )[0]
            if len(self.cache) < 50:  # the shortcut agrees with the calculator
                assert (
                    amount
                    == monthly_due(
                        base.category, base.monthly_base, MONTHS[n], fixed_amount=base.fixed_amount
                    )[0]
                )
            self.cache[key] = amount
        return amount

    def money(self, low: int, high: int) -> Decimal:
        return (Decimal(self.rng.randint(low * 100, high * 100)) / 100).quantize(CENT)

    # --- bases ----------------------------------------------------------------------------------
    def active_pay(self, position: str, is_leader: bool) -> Decimal:
        rng = self.rng
        if not is_leader and rng.random() < EDGE_SHARE:
            return rng.choice(
                (
                    Decimal("3000.00"),
                    Decimal("5000.00"),
                    Decimal("10000.00"),
                    self.money(2500, 2999),
                    self.money(4200, 4999),
                    self.money(9500, 9999),
                )
            )
        for words, (low, high) in PAY_BY_LEVEL:
            if any(position.endswith(w) for w in words):
                if is_leader and position.endswith(("局长", "主任")):
                    low, high = HEAD_PAY
                return self.money(low, high)
        if is_leader:
            return self.money(*HEAD_PAY)
        return self.money(*DEFAULT_PAY)

    def bases(self) -> dict[int, list[DuesBaseSpec]]:
        rng, out = self.rng, {}
        for i, m in enumerate(self.plan.members):
            start = max(YEAR_START, m.joined_on.replace(day=1))
            if m.work_status == WorkStatus.RETIRED:
                pension = Decimal("5000.00") if rng.random() < 0.03 else self.money(4000, 9000)
                rows = [DuesBaseSpec(i, DuesCategory.RETIRED.value, pension, start)]
            elif rng.random() < OTHER_SHARE:
                amount = Decimal(rng.choice((50, 100, 150, 200)))
                rows = [
                    DuesBaseSpec(
                        i,
                        DuesCategory.OTHER.value,
                        None,
                        start,
                        amount.quantize(CENT),
                        "年薪制，由党支部核定",
                    )
                ]
            else:
                pay = self.active_pay(m.position, m.is_leader)
                rows = [DuesBaseSpec(i, DuesCategory.ACTIVE.value, pay, start)]
                if start.month < 9 and rng.random() < PAY_CHANGE_SHARE:
                    when = MONTHS[rng.randint(max(start.month + 1, 3), 10)]
                    raised = (pay * Decimal(rng.randint(103, 115)) / 100).quantize(CENT)
                    rows.append(DuesBaseSpec(i, DuesCategory.ACTIVE.value, raised, when, note="工资调整"))
            out[i] = rows
            self.plan.dues_bases.extend(rows)
        return out

    # --- collection days ------------------------------------------------------------------------
    def collection_days(self) -> None:
        for o in self.plan.orgs:
            if o.type == OrgType.ZHIBU and self.rng.random() < COLLECTION_DAY_SHARE:
                self.plan.collection_days[o.code] = self.rng.randint(5, 25)

    # --- payments -------------------------------------------------------------------------------
    def build(self) -> None:
        plan, rng = self.plan, self.rng
        bases = self.bases()
        self.collection_days()
        parent = {o.code: o.parent for o in plan.orgs if o.type == OrgType.XIAOZU}
        branch_of = [parent.get(m.org, m.org) for m in plan.members]
        branches: dict[str, list[int]] = {}
        for i, code in enumerate(branch_of):
            branches.setdefault(code, []).append(i)

        # who falls behind: members since before the year, not leaders
        eligible = [i for i, m in enumerate(plan.members) if m.joined_on < YEAR_START and not m.is_leader]
        n = len(plan.members)
        n_case = max(2, round(n * CASE_SHARE))
        n_warning = max(2, round(n * WARNING_SHARE))
        behind = rng.sample(eligible, n_case + n_warning)
        unpaid_from = {i: LAST_MONTH + 1 - rng.randint(6, 9) for i in behind[:n_case]}
        unpaid_from |= {i: LAST_MONTH + 1 - rng.randint(3, 5) for i in behind[n_case:]}

        due_dates = {
            day: [
                YEAR_START,
                *(MONTHS[k].replace(day=day) if day else _last_day(MONTHS[k]) for k in range(1, 13)),
            ]
            for day in [None, *range(1, 29)]
        }
        for i, m in enumerate(plan.members):
            rows = bases[i]
            dues = [Decimal("0.00")] * 13
            for b in rows:
                for k in range(b.effective_month.month, 13):
                    dues[k] = self.due(b, k)
            method = rng.choices(METHODS, METHOD_WEIGHTS)[0]
            payer = None
            if rng.random() < PROXY_SHARE:
                payer = rng.choice([j for j in branches[branch_of[i]] if j != i])
                method = rng.choice((PaymentMethod.CASH.value, PaymentMethod.TRANSFER.value))
            self.member_payments(
                _Payer(
                    i, m.joined_on, method, payer, dues, due_dates[plan.collection_days.get(branch_of[i])]
                ),
                first=rows[0].effective_month.month,
                stop=unpaid_from.get(i, LAST_MONTH + 1),  # the first month left unpaid
                regular=i not in unpaid_from,
                single_base=len(rows) == 1,
            )
            if rng.random() < EXTRA_SHARE:
                self.extra(i, Decimal(rng.choice((100, 200, 300, 500, 800))), m.joined_on)
        # at least one large extra payment (remitted to the 中央), from a long-standing member
        for i in rng.sample(eligible, max(1, round(n * LARGE_EXTRA_SHARE))):
            self.extra(i, Decimal(rng.choice((1000, 2000, 5000, 10000))), plan.members[i].joined_on)

    def pay(
        self, p: _Payer, first: int, last: int, amount: Decimal, paid_on: dt.date, note: str = ""
    ) -> None:
        rng = self.rng
        method = p.method if rng.random() < 0.92 else rng.choices(METHODS, METHOD_WEIGHTS)[0]
        self.plan.dues_payments.append(
            DuesPaymentSpec(
                p.member, MONTHS[first], MONTHS[last], amount, paid_on, method, p.payer, note=note
            )
        )

    def on_time(self, p: _Payer, k: int) -> dt.date:
        """A day on or before the month's collection day (not before joining)."""
        due = p.due_dates[k]
        paid = due - DAYS[int(self.rng.random() * min(due.day, 13))]
        return paid if paid >= p.joined else p.joined

    def late(self, p: _Payer, k: int, low: int, high: int) -> dt.date:
        return min(p.due_dates[k] + DAYS[self.rng.randint(low, high)], REFERENCE_DATE - DAYS[1])

    def member_payments(self, p: _Payer, *, first: int, stop: int, regular: bool, single_base: bool) -> None:
        rng = self.rng
        if regular and single_base and first == 1 and rng.random() < QUARTERLY_SHARE:
            for q in (1, 4, 7, 10):
                self.pay(
                    p, q, q + 2, sum(p.dues[q : q + 3], Decimal("0.00")), self.on_time(p, q), "按季度预交"
                )
            return
        irregular = (
            rng.randint(first, LAST_MONTH) if regular and first < 10 and rng.random() < IRREGULAR_SHARE else 0
        )
        for k in range(first, stop):
            due = p.dues[k]
            if k != irregular:
                self.pay(p, k, k, due, self.on_time(p, k))
            elif k < 10 and rng.random() < 0.5:  # paid in full, late
                self.pay(p, k, k, due, self.late(p, k, 3, 25), "逾期补交")
            else:  # paid in part; sometimes the rest later
                part = (due * Decimal(rng.randint(30, 80)) / 100).quantize(CENT)
                self.pay(p, k, k, part, self.on_time(p, k))
                if k < 10 and rng.random() < 0.5:
                    self.pay(p, k, k, due - part, self.late(p, k, 10, 30), "补交差额")

    def extra(self, i: int, amount: Decimal, joined: dt.date) -> None:
        rng = self.rng
        paid_on = max(joined, YEAR_START + dt.timedelta(days=rng.randint(0, 303)))
        self.plan.dues_payments.append(
            DuesPaymentSpec(
                i,
                paid_on.replace(day=1),
                paid_on.replace(day=1),
                amount.quantize(CENT),
                paid_on,
                rng.choices(METHODS, METHOD_WEIGHTS)[0],
                is_extra=True,
                remit_to_central=amount >= self.threshold,
                note="自愿多交党费",
            )
        )


def build_dues(plan: Plan, seed: int) -> None:
    """Fills plan.dues_bases, plan.dues_payments and plan.collection_days (from their own RNG)."""
    _Dues(plan, seed).build()
