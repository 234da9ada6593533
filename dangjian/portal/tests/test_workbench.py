"""The home pages' work: a branch's due and overdue items (from the kept results, the kept 待办 and the modules'
providers), settled through the services and gone once the kept results are refreshed; the 党委's roll-up of
the organisations most behind and its drill-down, inside its scope only; the member's own page; the menu."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.meetings.services import create_meeting
from dangjian.orgs.models import Org
from dangjian.portal import workbench

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        yield


def refresh() -> None:
    kept.refresh(Org.objects.all(), on=TODAY)


def theme_days(items, org):
    return {i.period: i for i in items if i.rule_id == "MTG-THEME-DAY-MONTHLY" and i.org.id == org.pk}


def test_branch_admin_sees_each_missed_month_overdue_with_its_due_date_and_button_until_it_is_recorded(
    client, users, tree, make_member, frozen
):
    for name in ("王一", "王二", "王三"):
        make_member(tree.a1, name=name)
    refresh()
    client.force_login(users["branch_a1"])

    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    work = response.context["work"]
    missed = theme_days(work.items, tree.a1)
    assert {"2026-01", "2026-02", "2026-03", "2026-04", "2026-05"} <= set(missed)
    may = missed["2026-05"]
    assert may.overdue and may.due == dt.date(2026, 5, 31)
    assert may.link.url == reverse("meetings:create") + f"?org={tree.a1.pk}&type=theme_day"
    html = response.content.decode()
    assert may.link.url.replace("&", "&amp;") in html
    # the current month is due, not overdue, by its last day (the kept 待办)
    june = missed["2026-06"]
    assert not june.overdue and june.due == dt.date(2026, 6, 30)
    # counts per category at the top
    meetings = next(c for c in work.counts() if c.category.key == "meetings")
    assert meetings.overdue == sum(1 for i in work.items if i.category == "meetings" and i.overdue) > 0

    create_meeting(
        actor=users["branch_a1"],
        data={"org": tree.a1, "date": dt.date(2026, 5, 20), "topic": "五月主题党日"},
        types=["theme_day"],
    )
    refresh()
    after = theme_days(client.get(reverse("dashboard")).context["work"].items, tree.a1)
    assert "2026-05" not in after
    assert "2026-04" in after and after["2026-04"].overdue


def test_overdue_items_come_first_then_by_due_date(client, users, tree, make_member, frozen):
    make_member(tree.a1, name="王一")
    refresh()
    items = workbench.work_list(users["branch_a1"], on=TODAY).items
    flags = [i.overdue for i in items]
    assert True in flags and False in flags
    assert flags == sorted(flags, reverse=True)  # every overdue item before every due one
    due_days = [i.due or i.since for i in items if i.overdue]
    assert due_days == sorted(due_days)
    upcoming = [i.due for i in items if not i.overdue and i.due]
    assert upcoming == sorted(upcoming)


def test_every_button_of_a_branch_admins_list_opens(client, users, tree, make_member, frozen):
    for name in ("王一", "王二"):
        make_member(tree.a1, name=name, joined_on=dt.date(2010, 6, 3))  # 政治生日 this month
    refresh()
    client.force_login(users["branch_a1"])
    items = client.get(reverse("dashboard")).context["work"].items
    categories = {i.category for i in items}
    assert {"meetings", "birthdays"} <= categories
    urls = {i.link.url for i in items if i.link is not None}
    assert urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_roll_up_puts_the_branches_most_behind_first_and_drills_down_inside_the_scope(
    client, users, tree, make_member, frozen
):
    for org in (tree.a1, tree.a2):
        make_member(org, name="王一")
    make_member(tree.a1g1, name="王二")
    # 甲一 holds its 主题党日 and its 党小组's meetings every month; 甲二 none: 甲二 is further behind
    for month in range(1, 6):
        for org, kind in ((tree.a1, "theme_day"), (tree.a1g1, "group")):
            create_meeting(
                actor=None,
                data={"org": org, "date": dt.date(2026, month, 10), "topic": "例会"},
                types=[kind],
            )
    refresh()
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("dashboard"))
    rollup = response.context["rollup"]
    assert all(i.org.id == tree.a.pk for i in response.context["work"].items)  # under it: the 党委's own
    order = [r.org.pk for r in rollup.rows]
    assert order.index(tree.a2.pk) < order.index(tree.a1.pk)
    counts = {r.org.pk: r.overdue for r in rollup.rows}
    assert counts[tree.a2.pk] > counts.get(tree.a1.pk, 0)
    assert [r.overdue for r in rollup.rows] == sorted((r.overdue for r in rollup.rows), reverse=True)
    assert all(r.org.path.startswith(tree.a.path) for r in rollup.rows)
    drill = reverse("portal:work_org", args=[tree.a2.pk])
    assert drill in response.content.decode()

    page = client.get(drill)
    assert page.status_code == 200
    listed = page.context["work"].items
    assert sum(1 for i in listed if i.overdue) == counts[tree.a2.pk]
    assert all(i.org.path.startswith(tree.a2.path) for i in listed)
    # a foreign branch, and a sibling for a 支部管理员: not found
    assert client.get(reverse("portal:work_org", args=[tree.b1.pk])).status_code == 404
    client.force_login(users["branch_a1"])
    assert client.get(drill).status_code == 404


def _dashboard_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(ctx.captured_queries)


def test_the_roll_up_reads_a_fixed_number_of_queries_whatever_the_number_of_branches(
    client, users, tree, add_branches, frozen
):
    def drill_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("portal:work_org", args=[tree.a.pk])).status_code == 200
        return len(ctx.captured_queries)

    add_branches(2, 0)
    refresh()
    small = _dashboard_queries(client, users["dangwei_a"])
    small_drill = drill_queries()
    add_branches(8, 2)
    refresh()
    large = _dashboard_queries(client, users["dangwei_a"])
    assert len(workbench.rollup(users["dangwei_a"], on=TODAY).rows) >= 10
    assert large == small
    assert drill_queries() == small_drill


def test_a_branch_list_reads_a_fixed_number_of_queries_whatever_the_number_of_members(
    client, users, tree, make_member, frozen
):
    make_member(tree.a1, name="王一", joined_on=dt.date(2010, 6, 3))
    refresh()
    small = _dashboard_queries(client, users["branch_a1"])
    for i in range(6):
        make_member(tree.a1, name=f"党员{i}", joined_on=dt.date(2011, 6, 3))
    refresh()
    assert _dashboard_queries(client, users["branch_a1"]) == small


def test_a_member_sees_their_dues_hours_activities_and_no_button_to_a_refusal(client, users, tree, frozen):
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(2026, 6, 2), "topic": "六月主题党日"},
        types=["theme_day"],
    )
    client.force_login(users["member_a1"])
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("my-dues", "my-hours", "my-activities", "own-record"):
        assert f'data-testid="{testid}"' in html
    assert "六月主题党日" in html
    assert reverse("members:timeline", args=[users["own_member"].pk]) in html
    links = {urlsplit(h).path for h in re.findall(r'href="(/[^"#]*)"', html)} - {"/"}
    assert links
    for path in links:
        if path.startswith("/static/"):
            continue
        assert client.get(path).status_code == 200, path


def test_a_members_outstanding_dues_include_last_years_unpaid_months(users, frozen):
    """The home page's 党费: this month's row and the arrears from one ledger; what is owed sums every overdue
    month, last year's too (the arrears run from January of the previous year)."""
    from decimal import Decimal

    from dangjian.dues.services import declare_base, record_payment

    member = users["own_member"]
    for year in (2025, 2026):
        declare_base(
            actor=None,
            member=member,
            year=year,
            category="active",
            monthly_base=Decimal("6000"),
            effective_month=dt.date(year, 1, 1),
        )
    record_payment(
        actor=None,
        member=member,
        months="2026-01~2026-05",
        amount=Decimal("450.00"),
        paid_on=TODAY,
        method="cash",
    )
    home = workbench.member_home(member, on=TODAY)
    assert home.arrears == [f"2025-{m:02d}" for m in range(1, 13)]
    assert home.outstanding == Decimal("1080.00")  # twelve months of 90.00, none of this year's
    assert (
        home.month_row is not None
        and home.month_row.status == "unpaid"
        and home.month_row.due == Decimal("90.00")
    )
    with CaptureQueriesContext(connection) as queries:
        workbench.member_home(member, on=TODAY)
    dues_reads = [q for q in queries.captured_queries if '"dues_' in q["sql"]]
    assert len(dues_reads) == 5  # payments, bases, reliefs (one ledger), the collection day once, reviews
    evaluation_reads = [q for q in queries.captured_queries if '"evaluations_' in q["sql"]]
    assert len(evaluation_reads) == 1  # the 测评 ballots and the 个人自评 forms together


def test_the_dues_and_development_menu_entries_open_the_overviews_for_a_committee_admin(
    client, users, frozen
):
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("dues:summary")}"' in html
    assert f'href="{reverse("pipeline:rollup")}"' in html
    client.force_login(users["branch_a1"])
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("dues:sheet")}"' in html
    assert f'href="{reverse("pipeline:index")}"' in html


@pytest.mark.parametrize(
    "texts, day",
    [
        (["2026-Q1"], dt.date(2026, 3, 31)),
        (["2026-02", "2026-05"], dt.date(2026, 2, 28)),
        (["周静怡（应于2026-11-06前考察）"], dt.date(2026, 11, 6)),
        (["秦亮骏"], None),
        ([], None),
    ],
)
def test_the_day_of_a_failed_result_is_read_from_its_missing_entries(texts, day):
    from dangjian.compliance.workbench import day_in

    assert day_in(texts) == day


def test_the_counts_at_the_top_narrow_the_list_to_their_category(client, users, tree, make_member, frozen):
    make_member(tree.a1, name="王一", joined_on=dt.date(2010, 6, 3))
    refresh()
    client.force_login(users["branch_a1"])
    response = client.get(reverse("dashboard"), {"category": "birthdays"})
    shown = response.context["shown"]
    assert shown and {i.category for i in shown} == {"birthdays"}
    assert {c.category.key for c in response.context["work"].counts() if c.total} > {"birthdays"}
    assert 'href="?category=meetings"' in response.content.decode()
    everything = client.get(reverse("dashboard"), {"category": "nonsense"}).context
    assert everything["shown"] == everything["work"].items


def test_a_committee_drills_down_by_unit_then_branch(client, users, tree, make_member, frozen):
    for org in (tree.a1, tree.a2, tree.b1):
        make_member(org, name="王一")
    refresh()
    client.force_login(users["gongwei"])
    home = client.get(reverse("dashboard"))
    units = {u.name: u for u in home.context["rollup"].units}
    # the unit's drill-down is its 机关党委, which holds its branches, not the 党组 beside it
    assert units["甲委"].top.pk == tree.a.pk
    assert reverse("portal:work_org", args=[tree.a.pk]) in home.content.decode()
    party_group = client.get(reverse("portal:work_org", args=[tree.a_dz.pk]))
    assert party_group.status_code == 200
    assert party_group.context["rollup"] is None  # nothing below it: its own items only
    assert 'data-testid="rollup"' not in party_group.content.decode()
    assert reverse("portal:work_org", args=[units["乙委"].top.pk]) in home.content.decode()

    page = client.get(reverse("portal:work_org", args=[tree.a.pk]))
    assert page.status_code == 200
    rows = page.context["rollup"].rows
    assert rows and all(r.org.path.startswith(tree.a.path) and r.org.pk != tree.a.pk for r in rows)
    assert all(i.org.id == tree.a.pk for i in page.context["work"].items)  # the 党委's own items only
    assert reverse("portal:work_org", args=[tree.a1.pk]) in page.content.decode()


def test_this_months_dues_are_due_by_the_collection_day_until_paid(client, users, tree, make_member, frozen):
    from decimal import Decimal

    from dangjian.dues.services import declare_base, record_payment

    payer = make_member(tree.a1, name="王一")
    june = {"year": 2026, "category": "active", "effective_month": dt.date(2026, 6, 1)}
    declare_base(actor=None, member=payer, monthly_base=Decimal("6000"), **june)
    refresh()
    client.force_login(users["branch_a1"])

    def dues_item():
        items = client.get(reverse("dashboard")).context["work"].items
        return next(
            (i for i in items if i.category == "dues" and i.period == "2026-06" and not i.rule_id), None
        )

    item = dues_item()
    assert item is not None and not item.overdue
    assert item.due == dt.date(2026, 6, 30)  # no 集中交纳日 set: the month's last day
    assert item.link.url == reverse("dues:sheet") + f"?org={tree.a1.pk}&month=2026-06"
    assert "1名党员" in item.detail
    record_payment(
        actor=users["branch_a1"],
        member=payer,
        months="2026-06",
        amount=Decimal("90.00"),
        paid_on=TODAY,
        method="cash",
    )
    assert dues_item() is None


def test_a_members_due_date_is_their_branchs_collection_day(users, tree, make_member, frozen):
    """The home page's “请于 … 前交纳”: the 集中交纳日 of the member's 党支部 (a 党小组's member: its branch's), else the
    month's last day; read once with the arrears."""
    from dangjian.dues.services import set_collection_day

    member = users["own_member"]
    grouped = make_member(tree.a1g1, name="小组党员")
    assert workbench.member_home(member, on=TODAY).due_date == dt.date(2026, 6, 30)
    set_collection_day(actor=None, org=tree.a1, day=18)
    assert workbench.member_home(member, on=TODAY).due_date == dt.date(2026, 6, 18)
    assert workbench.member_home(grouped, on=TODAY).due_date == dt.date(2026, 6, 18)
    set_collection_day(actor=None, org=tree.a2, day=5)  # another branch's day is not theirs
    assert workbench.member_home(member, on=TODAY).due_date == dt.date(2026, 6, 18)
