"""The demo data is dated from a reference day ("today"): whatever the day, nothing is dated after it, the
twelve months up to it have records (across the year boundary early in the year), today's month is never
empty, and the compliance pages show a mix of organisations that meet their obligations and some that do not."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.models import KeptStamp
from dangjian.compliance.rulebook import load_ruleset
from dangjian.demo.seeding import Clock, build_plan
from dangjian.demo.seeding.clock import month_end, quarter_of
from dangjian.demo.seeding.specs import Plan
from dangjian.demo.tests.test_seed_compliance import PERIODIC
from dangjian.meetings.choices import MeetingType
from dangjian.orgs.models import Org

# A Sunday in the new year's holiday (no working day yet in today's month), the first of a month (a Sunday),
# mid-year, and the last day of a year.
DAYS = [dt.date(2027, 1, 3), dt.date(2026, 3, 1), dt.date(2026, 7, 15), dt.date(2026, 12, 31)]


def branch_of(plan: Plan) -> list[str]:
    parent = {o.code: o.parent for o in plan.orgs if o.type == "xiaozu"}
    return [parent.get(m.org, m.org) for m in plan.members]


@pytest.fixture(scope="module", params=DAYS, ids=str)
def dated(request) -> tuple[Clock, Plan]:
    return Clock(request.param), build_plan("small", 1, request.param)


def test_the_window_is_the_twelve_months_up_to_today_and_the_whole_previous_year_early_in_the_year():
    assert Clock(dt.date(2026, 7, 15)).months[0] == dt.date(2025, 8, 1)
    assert Clock(dt.date(2026, 12, 31)).months[0] == dt.date(2026, 1, 1)
    assert Clock(dt.date(2026, 3, 1)).months[0] == dt.date(2025, 1, 1)
    assert Clock(dt.date(2026, 4, 1)).months[0] == dt.date(2025, 5, 1)
    for day in DAYS:
        clock = Clock(day)
        assert clock.current == day.replace(day=1) and len(clock.months) >= 12
        assert clock.kept_years() == ([day.year - 1, day.year] if day.month <= 3 else [day.year])


def test_nothing_is_dated_after_today(dated):
    clock, plan = dated
    today = clock.today
    assert max(m.date for m in plan.meetings) <= today
    assert max(p.paid_on for p in plan.dues_payments) <= today
    assert max(b.effective_month for b in plan.dues_bases) <= today
    assert max(p.started_on for p in plan.posts) <= today
    assert max(p.ended_on for p in plan.posts if p.ended_on) <= today
    assert max(h.effective_on for h in plan.history) <= today
    assert max(m.joined_on for m in plan.members) <= today
    assert max(m.confirmed_on for m in plan.members if m.confirmed_on) <= today
    assert max(o.term_started_on for o in plan.orgs if o.term_started_on) <= today
    assert min(m.date for m in plan.meetings) >= clock.first
    assert min(p.paid_on for p in plan.dues_payments) >= clock.first


def test_every_month_of_the_window_has_meetings_and_payments_and_today_s_month_is_never_empty(dated):
    clock, plan = dated
    meetings = Counter(m.date.replace(day=1) for m in plan.meetings)
    payments = Counter(p.paid_on.replace(day=1) for p in plan.dues_payments)
    for month in clock.months[:-1]:  # the eleven months before today's (and more early in the year)
        assert meetings[month] >= 20 and payments[month] >= 150, month
    # today's month: in every branch at least one payment (a member who pays early), whatever the day
    branches = branch_of(plan)
    paid_now = {branches[p.member] for p in plan.dues_payments if p.paid_on >= clock.current}
    assert paid_now == {o.code for o in plan.orgs if o.type == "zhibu"}
    # and once a few working days of the month have passed, meetings too (not all of the month's yet)
    passed = [d for d in clock.workdays[clock.current] if d <= clock.today]
    if len(passed) >= 5:
        assert 0 < meetings[clock.current] < max(meetings[m] for m in clock.months[:-1])


def test_periods_are_covered_across_the_year_boundary(dated):
    """Every month (quarter) of the window that has passed has its records, in both years when the window
    crosses 1 January; bases are declared for each year of the window."""
    clock, plan = dated
    by_type: dict[str, set[dt.date]] = defaultdict(set)
    for m in plan.meetings:
        for t in m.types:
            by_type[t].add(m.date.replace(day=1))
    passed = [m for m in clock.months if month_end(m) <= clock.today]
    for t in (MeetingType.THEME_DAY, MeetingType.COMMITTEE, MeetingType.GROUP):
        assert set(passed) <= by_type[t], t
    quarters = {q for q in map(quarter_of, passed) if set(clock.quarter_months(q)) <= set(passed)}
    for t in (MeetingType.ASSEMBLY, MeetingType.LECTURE):
        assert quarters <= set(map(quarter_of, by_type[t])), t
    years = {m.year for m in passed}
    assert {b.effective_month.year for b in plan.dues_bases} >= years
    assert {p.first_month.year for p in plan.dues_payments} >= years
    assert len(clock.years) == 1 + (clock.today.month < 12)  # all but 31 December: across a year boundary


def test_the_same_day_gives_the_same_plan_and_another_day_another(dated):
    clock, plan = dated
    again = build_plan("small", 1, clock.today)
    assert (again.members, again.posts, again.meetings, again.dues_payments, again.dues_bases) == (
        plan.members,
        plan.posts,
        plan.meetings,
        plan.dues_payments,
        plan.dues_bases,
    )
    other = build_plan("small", 1, clock.today - dt.timedelta(days=40))
    assert other.meetings != plan.meetings and other.dues_payments != plan.dues_payments


def test_without_a_day_the_plan_is_dated_from_the_real_date():
    plan = build_plan("small", 1)
    assert plan.today == dt.date.today()


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_compliance_shows_a_mix_of_organisations_meeting_and_missing_their_obligations(db, day):
    """For each year whose results the seed keeps: most organisations meet each periodic obligation, some do
    not (the shares the demo's own tests check at the fixed day)."""
    call_command("seed", "--scale", "small", "--today", f"{day}", stdout=StringIO())
    assert sorted(KeptStamp.objects.values_list("year", flat=True).distinct()) == Clock(day).kept_years()
    for year in Clock(day).kept_years():
        as_of = min(day, dt.date(year, 12, 31))
        evaluation = evaluate(Org.objects.all(), year=year, as_of=as_of, ruleset=load_ruleset(1))
        found: dict[str, Counter] = defaultdict(Counter)
        for result in evaluation.results:
            found[result.rule.id][result.status] += 1
        decided = [rule for rule in PERIODIC if found[rule]["pass"] + found[rule]["fail"]]
        ended = as_of.month - (as_of < month_end(as_of))  # months of the year that have ended
        assert len(decided) == 3 * (ended >= 1) + 2 * (ended >= 3), (year, decided)  # monthly, quarterly
        for rule in decided:  # a period has ended: some organisations missed it, most did not
            counts = found[rule]
            evaluated = counts["pass"] + counts["fail"] + counts["pending"]
            assert counts["fail"] >= 1 and 0.75 <= counts["pass"] / evaluated <= 0.97, (year, rule, counts)
        if ended >= 3:  # a few meetings of the year fell short of their quorum
            assert found["MTG-ASSEMBLY-QUORUM"]["fail"] >= 1 and found["MTG-COMMITTEE-QUORUM"]["fail"] >= 1
        assert found["ORG-SECRETARY-IN-POST"]["fail"] >= 1 and found["ORG-SECRETARY-IN-POST"]["pass"] >= 10


def test_a_day_that_is_not_a_date_is_refused_in_chinese(db):
    with pytest.raises(CommandError, match="不是有效日期，请按 YYYY-MM-DD 填写"):
        call_command("seed", "--scale", "small", "--today", "2026-02-30", stdout=StringIO())
    assert not Org.objects.exists()


def test_the_command_says_the_day_it_dates_the_data_from(db):
    out = StringIO()
    call_command("seed", "--scale", "small", "--today", "2026-07-15", stdout=out)
    assert "基准日期 2026-07-15" in out.getvalue()


def test_the_services_written_records_refuse_a_day_after_the_real_date(db):
    """--lifecycle writes through the services, which refuse dates after the real today."""
    later = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(CommandError, match="晚于今天"):
        call_command("seed", "--scale", "small", "--lifecycle", "--today", f"{later}", stdout=StringIO())
    assert not Org.objects.exists()
