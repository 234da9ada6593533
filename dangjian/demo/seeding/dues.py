"""党费 for the seed over the window of months up to the reference day (clock.py): a base for every member
and year, the branches' collection days, and the payments of the window's months (today's month by those whose
usual day has come).

Pure Python over the finished plan, from its own seeded RNG (the rest of the plan is unchanged by it).
Amounts are computed in memory with `dangjian.dues.calculator.monthly_due` (Decimal only), exactly as
the ledger computes what is due, so a fully paid month is paid to the cent.

What is drawn:

- bases: 在职 by job level (most 6,000–18,000 元 after tax, a few at or below the 3,000 / 5,000 /
  10,000 元 bracket bounds), 离退休 pensions of 4,000–9,000 元, a few 其他 with an amount set by the
  branch; one row a year (a base is declared for a year), from the window's first month or January, or
  from the month of joining; a few changes of pay (a row from the month of the new pay, kept in the next
  year's row);
- collection days: most 党支部 between the 5th and the 25th, the others keep the default (the last day);
- payments: most members pay each month on or before their branch's day, mostly by 银行转账 or 线上,
  some in 现金; a few have another member of the branch pay for them (代缴); a few pay a quarter at a
  time in advance ("2026-01~2026-03"); about 5% have one month paid late or only in part; about 2%
  stopped paying 3–5 months ago (warning) and a handful 6 or more months ago (case); a few voluntary
  extra payments, at least one of 1,000 元 or more (remitted to the 中央);
- today's month: paid by those whose drawn day is not after today, and in every branch by at least one
  member (online, today), so that the month is never empty.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from dangjian.core.dates import add_months
from dangjian.demo.seeding.clock import Clock
from dangjian.demo.seeding.specs import DuesBaseSpec, DuesPaymentSpec, Plan
from dangjian.dues.calculator import CENT, monthly_due, round_money
from dangjian.dues.choices import DuesCategory, PaymentMethod
from dangjian.dues.rates import load_rates
from dangjian.members.choices import WorkStatus
from dangjian.orgs.choices import OrgType

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
AHEAD = 2  # months after today's whose dues are computed (a quarter paid in advance)

DAYS = [dt.timedelta(days=n) for n in range(32)]


def _last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(slots=True)
class _Payer:
    """A member's payment habits: index, joining date, usual method, 代缴 payer, dues and due dates by month
    (indexes into the window's months, then AHEAD months after today's)."""

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
        clock = Clock(plan.today)
        self.today = plan.today
        self.cur = len(clock.months) - 1  # today's month
        # the window's months, then AHEAD more (months[k]: month k)
        self.months = [*clock.months, *(add_months(clock.current, n) for n in range(1, AHEAD + 1))]
        self.first_month = clock.first
        rates = load_rates()
        self.schedules = [rates.schedule_for(m) for m in self.months]
        self.threshold = rates.extra_remit_threshold

    # --- amounts --------------------------------------------------------------------------------
    def due(self, base: DuesBaseSpec, k: int) -> Decimal:
        """What `base` makes due for month k, as `monthly_due` computes it, cached per base and rate schedule.
        Bracket rates are applied here with the calculator's own rounding, because `monthly_due` re-reads
        the rate file's status on every call (a few seconds for the municipal scale's 60,000 bases)."""
        schedule = self.schedules[k]
        key = (base.category, base.monthly_base, base.fixed_amount, schedule.effective_from)
        amount = self.cache.get(key)
        if amount is None:
            month = self.months[k]
            if base.category in schedule.brackets and base.monthly_base is not None:
                amount = round_money(base.monthly_base * schedule.rate_for(base.category, base.monthly_base))
            else:
                amount = monthly_due(base.category, base.monthly_base, month, fixed_amount=base.fixed_amount)[
                    0
                ]
            if len(self.cache) < 50:  # the shortcut agrees with the calculator
                assert (
                    amount
                    == monthly_due(base.category, base.monthly_base, month, fixed_amount=base.fixed_amount)[0]
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

    def first_index(self, joined: dt.date) -> int:
        """The month the member's dues begin: the window's first, or the month of joining."""
        month = joined.replace(day=1)
        if month <= self.first_month:
            return 0
        return (month.year - self.first_month.year) * 12 + month.month - self.first_month.month

    def bases(self) -> dict[int, list[DuesBaseSpec]]:
        """Every member's rows: one per year from their first month (January in later years), and a change
        of pay from its month on (carried into the next year's row)."""
        rng, months, out = self.rng, self.months, {}
        for i, m in enumerate(self.plan.members):
            first = self.first_index(m.joined_on)
            # (month index, category, monthly base, fixed amount, note): the member's declarations in order
            declared: list[tuple[int, str, Decimal | None, Decimal | None, str]]
            if m.work_status == WorkStatus.RETIRED:
                pension = Decimal("5000.00") if rng.random() < 0.03 else self.money(4000, 9000)
                declared = [(first, DuesCategory.RETIRED.value, pension, None, "")]
            elif rng.random() < OTHER_SHARE:
                amount = Decimal(rng.choice((50, 100, 150, 200))).quantize(CENT)
                declared = [(first, DuesCategory.OTHER.value, None, amount, "年薪制，由党支部核定")]
            else:
                pay = self.active_pay(m.position, m.is_leader)
                declared = [(first, DuesCategory.ACTIVE.value, pay, None, "")]
                changes = [k for k in range(first + 1, self.cur) if months[k].month not in (1, 2)]
                if changes and rng.random() < PAY_CHANGE_SHARE:
                    raised = (pay * Decimal(rng.randint(103, 115)) / 100).quantize(CENT)
                    declared.append(
                        (rng.choice(changes), DuesCategory.ACTIVE.value, raised, None, "工资调整")
                    )
            rows = []
            for n, (k, category, base, fixed, note) in enumerate(declared):
                rows.append(DuesBaseSpec(i, category, base, months[k], fixed, note))
                end = declared[n + 1][0] if n + 1 < len(declared) else self.cur + 1
                # the same declaration again from January of each later year before the next one
                rows.extend(
                    DuesBaseSpec(i, category, base, months[j], fixed)
                    for j in range(k + 1, end)
                    if months[j].month == 1
                )
            rows.sort(key=lambda b: b.effective_month)
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
        plan, rng, months, cur = self.plan, self.rng, self.months, self.cur
        bases = self.bases()
        self.collection_days()
        parent = {o.code: o.parent for o in plan.orgs if o.type == OrgType.XIAOZU}
        branch_of = [parent.get(m.org, m.org) for m in plan.members]
        branches: dict[str, list[int]] = {}
        for i, code in enumerate(branch_of):
            branches.setdefault(code, []).append(i)

        # who falls behind: members since before the window, not leaders; `behind` is the number of overdue
        # months left unpaid up to today
        eligible = [
            i for i, m in enumerate(plan.members) if m.joined_on < self.first_month and not m.is_leader
        ]
        n = len(plan.members)
        n_case = max(2, round(n * CASE_SHARE))
        n_warning = max(2, round(n * WARNING_SHARE))
        chosen = rng.sample(eligible, n_case + n_warning)
        behind = {i: rng.randint(6, 9) for i in chosen[:n_case]}
        behind |= {i: rng.randint(3, 5) for i in chosen[n_case:]}

        due_dates = {
            day: [m.replace(day=day) if day else _last_day(m) for m in months]
            for day in [None, *range(1, 29)]
        }
        for i, m in enumerate(plan.members):
            rows = bases[i]
            dues = [Decimal("0.00")] * len(months)
            for n_row, b in enumerate(rows):
                k = self.first_index(b.effective_month)
                following = rows[n_row + 1].effective_month if n_row + 1 < len(rows) else None
                while k < len(months) and months[k].year == b.effective_month.year and months[k] != following:
                    dues[k] = self.due(b, k)
                    k += 1
            method = rng.choices(METHODS, METHOD_WEIGHTS)[0]
            payer = None
            if rng.random() < PROXY_SHARE:
                payer = rng.choice([j for j in branches[branch_of[i]] if j != i])
                method = rng.choice((PaymentMethod.CASH.value, PaymentMethod.TRANSFER.value))
            p = _Payer(i, m.joined_on, method, payer, dues, due_dates[plan.collection_days.get(branch_of[i])])
            # months overdue today: those before today's, and today's once its collection day has passed
            overdue = cur + (p.due_dates[cur] < self.today)
            self.member_payments(
                p,
                first=self.first_index(m.joined_on),
                stop=overdue - behind[i] if i in behind else cur + 1,  # the first month left unpaid
                regular=i not in behind,
                single_base=len({(b.category, b.monthly_base, b.fixed_amount) for b in rows}) == 1,
            )
            if rng.random() < EXTRA_SHARE:
                self.extra(i, Decimal(rng.choice((100, 200, 300, 500, 800))), m.joined_on)
        # at least one large extra payment (remitted to the 中央), from a long-standing member
        for i in rng.sample(eligible, max(1, round(n * LARGE_EXTRA_SHARE))):
            self.extra(i, Decimal(rng.choice((1000, 2000, 5000, 10000))), plan.members[i].joined_on)
        paid_now = {branch_of[p.member] for p in plan.dues_payments if p.paid_on >= months[cur]}
        self.early_payers(bases, branches, paid_now, behind)

    def early_payers(
        self,
        bases: dict[int, list[DuesBaseSpec]],
        branches: dict[str, list[int]],
        paid_now: set[str],
        behind: dict[int, int],
    ) -> None:
        """In every branch without a payment in today's month yet, one member pays today's month online today
        (the first regular payer who has not paid it: today's month is never empty)."""
        cur, today = self.cur, self.today
        paid = {
            p.member for p in self.plan.dues_payments if not p.is_extra and p.last_month >= self.months[cur]
        }
        members = self.plan.members
        for code, indexes in branches.items():
            if code in paid_now:
                continue
            who = next(
                (i for i in indexes if i not in behind and i not in paid and members[i].joined_on <= today),
                None,
            )
            if who is None:
                continue
            base = [b for b in bases[who] if b.effective_month <= self.months[cur]][-1]
            self.plan.dues_payments.append(
                DuesPaymentSpec(
                    who,
                    self.months[cur],
                    self.months[cur],
                    self.due(base, cur),
                    today,
                    PaymentMethod.ONLINE.value,
                )
            )

    def pay(
        self, p: _Payer, first: int, last: int, amount: Decimal, paid_on: dt.date, note: str = ""
    ) -> None:
        rng = self.rng
        method = p.method if rng.random() < 0.92 else rng.choices(METHODS, METHOD_WEIGHTS)[0]
        self.plan.dues_payments.append(
            DuesPaymentSpec(
                p.member, self.months[first], self.months[last], amount, paid_on, method, p.payer, note=note
            )
        )

    def on_time(self, p: _Payer, k: int) -> dt.date:
        """A day on or before the month's collection day (not before joining)."""
        due = p.due_dates[k]
        paid = due - DAYS[int(self.rng.random() * min(due.day, 13))]
        return paid if paid >= p.joined else p.joined

    def late(self, p: _Payer, k: int, low: int, high: int) -> dt.date:
        return min(p.due_dates[k] + DAYS[self.rng.randint(low, high)], self.today - DAYS[1])

    def member_payments(self, p: _Payer, *, first: int, stop: int, regular: bool, single_base: bool) -> None:
        """Months first..stop-1 (today's month only on a day not after today)."""
        rng, months, cur, today = self.rng, self.months, self.cur, self.today
        if regular and single_base and first == 0 and rng.random() < QUARTERLY_SHARE:
            for k in range(cur + 1):
                if k and months[k].month not in (1, 4, 7, 10):
                    continue
                last = k + 2 - (months[k].month - 1) % 3  # the quarter's last month
                paid_on = self.on_time(p, k)
                if paid_on <= today:
                    self.pay(p, k, last, sum(p.dues[k : last + 1], Decimal("0.00")), paid_on, "按季度预交")
            return
        last_late = cur - 2  # a month paid late: before the last month before today's
        irregular = (
            rng.randint(first, cur - 1)
            if regular and first < last_late and rng.random() < IRREGULAR_SHARE
            else -1
        )
        for k in range(first, min(stop, cur + 1)):
            due = p.dues[k]
            if k != irregular:
                paid_on = self.on_time(p, k)
                if paid_on <= today:
                    self.pay(p, k, k, due, paid_on)
            elif k < last_late and rng.random() < 0.5:  # paid in full, late
                self.pay(p, k, k, due, self.late(p, k, 3, 25), "逾期补交")
            else:  # paid in part; sometimes the rest later
                part = (due * Decimal(rng.randint(30, 80)) / 100).quantize(CENT)
                self.pay(p, k, k, part, self.on_time(p, k))
                if k < last_late and rng.random() < 0.5:
                    self.pay(p, k, k, due - part, self.late(p, k, 10, 30), "补交差额")

    def extra(self, i: int, amount: Decimal, joined: dt.date) -> None:
        rng = self.rng
        span = (self.today - self.first_month).days
        paid_on = max(joined, self.first_month + dt.timedelta(days=rng.randint(0, span - 1)))
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
    """Fills plan.dues_bases, plan.dues_payments and plan.collection_days (from their own RNG), over the
    window of months up to plan.today."""
    _Dues(plan, seed).build()
