"""党费 pages: the permission matrix, the collection sheet's bulk entry (all or nothing), the member's own
page, the other admin pages, and constant query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.dates import add_months
from dangjian.core.models import AuditEvent
from dangjian.dues.models import ArrearsReview, CollectionDay, DuesPayment
from dangjian.dues.services import declare_base, record_payment

pytestmark = pytest.mark.django_db

PASSWORD = "Test-pass-2026"


def declare(today, member, base="6000.00", category="active", year=None, month=None):
    year = year or today.year
    return declare_base(
        actor=None,
        member=member,
        year=year,
        category=category,
        monthly_base=Decimal(base) if base is not None else None,
        effective_month=month or dt.date(year, 1, 1),
    )


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def branch(tree, users, make_member, today):
    """甲一支部: 李党员 (the 党员 user's member, 6000 → 90.00) and three more with bases; 甲二 one member."""
    declare(today, users["own_member"])
    others = [make_member(tree.a1, name=n) for n in ("王一", "王二")]
    others.append(make_member(tree.a1g1, name="王三"))
    for m, base in zip(others, ("2800.00", "4500.00", "12000.00"), strict=True):
        declare(today, m, base)
    sibling = make_member(tree.a2, name="赵乙")
    declare(today, sibling)
    return {"a1": [users["own_member"], *others], "a2": sibling}


def sheet_url(today, org, month=None):
    return f"{reverse('dues:sheet')}?org={org.pk}&month={month or f'{today:%Y-%m}'}"


def bulk_data(today, org, rows, month=None):
    data = {"org": org.pk, "month": month or f"{today:%Y-%m}"}
    for member, amount in rows:
        data.update(
            {
                f"p{member.pk}-pick": "on",
                f"p{member.pk}-amount": amount,
                f"p{member.pk}-method": "cash",
                f"p{member.pk}-paid_on": today.isoformat(),
            }
        )
    return data


# --- permissions ------------------------------------------------------------------------------------------

ADMIN_PAGES = (
    "dues:sheet",
    "dues:reminders",
    "dues:arrears",
    "dues:summary",
    "dues:publication",
    "dues:export",
)


@pytest.mark.parametrize("name", [*ADMIN_PAGES, "dues:mine"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_a_member_gets_403_on_admin_pages(client, users, name):
    login(client, users["member_a1"])
    assert client.get(reverse(name)).status_code == 403


def test_a_member_sees_only_their_own_dues(client, users, branch, ym, today):
    record_payment(
        actor=None,
        member=users["own_member"],
        months=ym,
        amount=Decimal("90.00"),
        paid_on=today,
        method="cash",
    )
    record_payment(
        actor=None, member=branch["a1"][1], months=ym, amount=Decimal("14.00"), paid_on=today, method="cash"
    )
    login(client, users["member_a1"])
    response = client.get(reverse("dues:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "李党员" in body and "王一" not in body
    assert "90.00" in body and "6000.00" in body
    assert f'data-month="{ym}" data-status="paid"' in body
    assert [p.member_id for p in response.context["payments"]] == [users["own_member"].pk]
    assert "我的党费" in body  # the nav item


def test_mine_reads_no_personal_data(client, users):
    """我的党费 names the member and their organisation: their 身份证号 and phone are neither read nor decrypted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, users["member_a1"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(reverse("dues:mine")).content.decode()
    assert "李党员" in body and users["own_member"].org.name in body
    assert not [q["sql"] for q in ctx.captured_queries if '"id_number"' in q["sql"] or '"phone"' in q["sql"]]
    # the member is read once: the navigation bar's name comes from the same record
    assert len([q for q in ctx.captured_queries if 'FROM "members_member"' in q["sql"]]) == 1


def test_mine_is_404_without_a_member(client, users):
    login(client, users["branch_a1"])
    assert client.get(reverse("dues:mine")).status_code == 404


def test_sibling_branch_admin_gets_404_and_a_refused_bulk_post_writes_nothing(
    client, users, tree, branch, ym, today
):
    login(client, users["branch_a2"])
    assert client.get(sheet_url(today, tree.a1)).status_code == 404
    assert client.get(f"{reverse('dues:export')}?org={tree.a1.pk}&month={ym}").status_code == 404
    events = AuditEvent.objects.count()
    response = client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, [(branch["a1"][0], "90.00")]))
    assert response.status_code == 404
    assert not DuesPayment.objects.exists()
    assert AuditEvent.objects.count() == events
    response = client.post(reverse("dues:collection_day"), {"org": tree.a1.pk, "day": "15", "month": ym})
    assert response.status_code == 404
    assert not CollectionDay.objects.exists()
    # The own sheet: only 甲二's member.
    response = client.get(reverse("dues:sheet"))
    assert response.context["org"] == tree.a2
    assert [r.member.name for r in response.context["sheet"].rows] == ["赵乙"]


def test_dangwei_admin_sees_both_branches_and_gongwei_all(client, users, tree, branch, today):
    login(client, users["dangwei_a"])
    response = client.get(reverse("dues:sheet"))
    assert [b.code for b in response.context["branches"]] == ["A1", "A2"]
    assert client.get(sheet_url(today, tree.a2)).status_code == 200
    assert client.get(sheet_url(today, tree.b1)).status_code == 404
    login(client, users["gongwei"])
    response = client.get(reverse("dues:sheet"))
    assert [b.code for b in response.context["branches"]] == ["A1", "A2", "B1"]
    assert client.get(sheet_url(today, tree.b1)).status_code == 200


# --- the sheet --------------------------------------------------------------------------------------------


def test_sheet_shows_every_member_with_amounts_and_totals(
    client, users, tree, branch, make_member, this_month
):
    make_member(tree.a1, name="未申报")
    login(client, users["branch_a1"])
    response = client.get(reverse("dues:sheet"))  # default: the first branch, this month
    assert response.status_code == 200
    sheet = response.context["sheet"]
    assert sheet.org == tree.a1 and sheet.month == this_month
    by_name = {r.member.name: r for r in sheet.rows}
    assert set(by_name) == {"李党员", "王一", "王二", "王三", "未申报"}
    assert by_name["王一"].row.due == Decimal("14.00")  # 2800 × 0.5%
    assert by_name["王二"].row.due == Decimal("45.00")  # 4500 × 1%
    assert by_name["王三"].row.due == Decimal("240.00")  # 12000 × 2%
    assert by_name["未申报"].status == "nobase"
    assert sheet.total_due == Decimal("389.00")
    assert sheet.n_open == 4 and sheet.n_nobase == 1
    body = response.content.decode()
    assert 'data-testid="unpaid-count">4<' in body
    assert "389.00" in body and "1.5%" in body


def test_bulk_entry_records_the_ticked_rows(client, users, tree, branch, this_month, today):
    own, w1, w2, w3 = branch["a1"]
    login(client, users["branch_a1"])
    response = client.post(
        reverse("dues:sheet"), bulk_data(today, tree.a1, [(own, "90.00"), (w1, "14.00"), (w3, "100.00")])
    )
    assert response.status_code == 302
    assert response["Location"] == sheet_url(today, tree.a1)
    payments = DuesPayment.objects.order_by("member__name")
    assert {(p.member_id, p.amount, p.first_month) for p in payments} == {
        (own.pk, Decimal("90.00"), this_month),
        (w1.pk, Decimal("14.00"), this_month),
        (w3.pk, Decimal("100.00"), this_month),
    }
    assert all(p.created_by == users["branch_a1"] for p in payments)
    assert AuditEvent.objects.filter(object_type="dues.duespayment").count() == 3
    sheet = client.get(response["Location"]).context["sheet"]
    statuses = {r.member.name: r.status for r in sheet.rows}
    assert statuses == {"李党员": "paid", "王一": "paid", "王二": "unpaid", "王三": "partial"}
    assert sheet.n_open == 2
    # The partial row is offered again with the outstanding amount prefilled.
    forms = {r.member.pk: r.form for r in sheet.rows if r.form}
    assert set(forms) == {w2.pk, w3.pk}
    assert forms[w3.pk].initial["amount"] == Decimal("140.00")


def test_bulk_entry_is_all_or_nothing(client, users, tree, branch, today):
    own, w1, _w2, _w3 = branch["a1"]
    login(client, users["branch_a1"])
    events = AuditEvent.objects.count()
    data = bulk_data(today, tree.a1, [(own, "90.00"), (w1, "14.00")])
    data[f"p{w1.pk}-paid_on"] = (today + dt.timedelta(days=3)).isoformat()  # refused by the service
    response = client.post(reverse("dues:sheet"), data)
    assert response.status_code == 400
    assert not DuesPayment.objects.exists()
    assert AuditEvent.objects.count() == events
    body = response.content.decode()
    assert "缴纳日期不能晚于今天" in body
    assert body.count('data-testid="row-errors"') == 1
    # A form error (an empty amount) also writes nothing.
    data = bulk_data(today, tree.a1, [(own, "90.00"), (w1, "")])
    response = client.post(reverse("dues:sheet"), data)
    assert response.status_code == 400
    assert not DuesPayment.objects.exists()


def test_bulk_entry_ignores_members_outside_the_sheet(client, users, tree, branch, today):
    login(client, users["dangwei_a"])
    response = client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, [(branch["a2"], "90.00")]))
    assert response.status_code == 200  # nothing ticked on this sheet
    assert not DuesPayment.objects.exists()


def test_collection_day_is_shown_and_editable(client, users, tree, branch, ym, this_month):
    login(client, users["branch_a1"])
    response = client.post(reverse("dues:collection_day"), {"org": tree.a1.pk, "day": "15", "month": ym})
    assert response.status_code == 302
    assert CollectionDay.objects.get(org=tree.a1).day == 15
    response = client.get(response["Location"])
    assert response.context["sheet"].due_date == this_month.replace(day=15)
    assert f"{this_month.replace(day=15):%Y-%m-%d}" in response.content.decode()
    client.post(reverse("dues:collection_day"), {"org": tree.a1.pk, "day": "", "month": ym})
    assert not CollectionDay.objects.exists()


def test_export_is_an_xlsx_of_the_sheet(client, users, tree, branch, ym):
    from io import BytesIO

    from openpyxl import load_workbook

    login(client, users["branch_a1"])
    response = client.get(f"{reverse('dues:export')}?org={tree.a1.pk}&month={ym}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(BytesIO(response.content)).active
    names = [row[0] for row in ws.iter_rows(min_row=3, values_only=True) if row[0]]
    # by organisation, then in pinyin order (wang er before wang yi); 王三 is in the 党小组
    assert names[:4] == ["李党员", "王二", "王一", "王三"] and names[-1] == "合计"


# --- the other pages --------------------------------------------------------------------------------------


def test_reminders_list_open_members_with_due_date(client, users, tree, branch, ym, this_month, today):
    record_payment(
        actor=None, member=branch["a1"][1], months=ym, amount=Decimal("14.00"), paid_on=today, method="cash"
    )
    CollectionDay.objects.create(org=tree.a1, day=28)
    login(client, users["dangwei_a"])
    response = client.get(reverse("dues:reminders"))
    assert response.status_code == 200
    items = response.context["items"]
    assert {i.row.member_name for i in items} == {"李党员", "王二", "王三", "赵乙"}
    a1 = next(i for i in items if i.row.member_name == "王三")
    assert a1.due_date == this_month.replace(day=28) and a1.branch == tree.a1
    assert a1.days_left == (this_month.replace(day=28) - today).days


def test_reminders_over_a_range_too_wide_ask_for_a_narrower_one(client, users, tree, branch, settings):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) the reminders are not worked out: the
    page offers the organisations one level down instead, each keeping the page's other parameters."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    login(client, users["gongwei"])
    response = client.get(reverse("dues:reminders"))
    assert response.status_code == 200
    assert response.context["items"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="reminders"' not in html
    assert f'href="?org={tree.a.pk}"' in html and "王二" not in html
    response = client.get(reverse("dues:reminders"), {"org": tree.a.pk})  # 甲委: two 党支部
    assert response.context["wide"] is None
    assert {i.row.member_name for i in response.context["items"]} >= {"李党员", "王二"}
    login(client, users["dangwei_a"])  # 甲委's own range: listed
    assert client.get(reverse("dues:reminders")).context["wide"] is None


def test_open_this_month_counts_what_the_reminders_list(
    users, tree, branch, make_member, ym, this_month, today
):
    """The work list's 本月党费 reads the ledger snapshots: per branch, the same members as the reminders, whatever
    the way to it — paid, partly paid, unpaid, exempt (no base), a member in a 党小组, one whose snapshot is
    missing and one leaving the roll later this month (both computed)."""
    from collections import Counter

    from dangjian.dues.models import LedgerSnapshot
    from dangjian.dues.selectors import open_this_month, reminders

    a1 = branch["a1"]
    record_payment(actor=None, member=a1[1], months=ym, amount=Decimal("14.00"), paid_on=today, method="cash")
    record_payment(actor=None, member=a1[2], months=ym, amount=Decimal("1.00"), paid_on=today, method="cash")
    make_member(tree.a1, name="无基数")  # no base: not listed
    unsnapped = make_member(tree.a1, name="无快照")
    declare(today, unsnapped)
    LedgerSnapshot.objects.filter(member=unsnapped).delete()
    leaving = make_member(tree.a1g1, name="将离开")
    declare(today, leaving)
    leaving.status, leaving.inactive_from = (
        "transferred_out",
        add_months(this_month, 1) - dt.timedelta(days=1),
    )
    leaving.save()
    CollectionDay.objects.create(org=tree.a1, day=28)
    for user in (users["dangwei_a"], users["branch_a1"], users["gongwei"]):
        listed = Counter(r.branch.pk for r in reminders(user, today))
        counted = open_this_month(user, today)
        assert {f.branch.pk: f.members for f in counted} == dict(listed) and listed
        assert {f.branch.pk: f.due_date for f in counted} == {
            r.branch.pk: r.due_date for r in reminders(user, today)
        }
    mine = {f.branch.pk: f.members for f in open_this_month(users["branch_a1"], today)}
    assert mine == {tree.a1.pk: 5}  # 王二 partly paid, 王三 (党小组), 李党员, 无快照, 将离开; 王一 paid


def test_open_this_month_reads_a_fixed_number_of_queries(users, tree, make_member, today):
    def count():
        with CaptureQueriesContext(connection) as queries:
            open_this_month(users["gongwei"], today)
        return len(queries)

    from dangjian.dues.selectors import open_this_month

    declare(today, make_member(tree.a1, name="甲"))
    declare(today, make_member(tree.a2, name="乙"))
    count()  # the user's grants read once
    few = count()
    for i in range(6):
        declare(today, make_member(tree.b1 if i % 2 else tree.a1g1, name=f"丙{i}"))
    # members, snapshots, organisations, days; and the ledger's four for the members without a snapshot (the
    # users' own member has no base, so none): the same however many members. The branches are among the
    # organisations read (each has an unpaid member of its own)
    assert count() == few == 8
    from dangjian.orgs.services import create_org

    def org(code, name, type_, parent):
        data = {
            "code": code,
            "name": name,
            "type": type_,
            "parent": parent,
            "founded_on": dt.date(2018, 3, 1),
        }
        return create_org(actor=None, data={**data, "unit": "乙委"})

    b2 = org("B2", "乙二支部", "zhibu", tree.b_zz)
    b2g1 = org("B2G1", "乙二第一党小组", "xiaozu", b2)
    declare(
        today, make_member(b2g1, name="丁")
    )  # 乙二支部's only unpaid member sits in its 党小组: the branch is read
    assert count() == few + 1
    b3g1 = org("B3G1", "乙三第一党小组", "xiaozu", org("B3", "乙三支部", "zhibu", tree.b_zz))
    for i in range(4):
        declare(today, make_member(b3g1 if i % 2 else b2g1, name=f"戊{i}"))
    assert count() == few + 1
    assert {f.branch.pk: f.members for f in open_this_month(users["gongwei"], today)}.keys() >= {b2.pk}


def test_the_year_summary_sums_the_snapshots_as_the_ledgers_give(
    users, tree, branch, make_member, ym, this_month, today
):
    """The year summary reads the amounts kept in the ledger snapshots: equal, branch by branch and month by
    month, to the ledgers computed (all snapshots removed) — paid, partly paid, exempt, a reduced amount, a
    党小组 member, a member who left during the year, one who joined this month, last year's months."""
    from dangjian.dues.choices import ReliefKind
    from dangjian.dues.models import DuesRelief, LedgerSnapshot
    from dangjian.dues.selectors import year_summary

    a1 = branch["a1"]
    record_payment(actor=None, member=a1[1], months=ym, amount=Decimal("14.00"), paid_on=today, method="cash")
    record_payment(actor=None, member=a1[2], months=ym, amount=Decimal("1.00"), paid_on=today, method="cash")
    first = dt.date(today.year, 1, 1)
    DuesRelief.objects.create(
        member=a1[3],
        kind=ReliefKind.EXEMPT,
        start_month=first,
        end_month=first,
        approved_on=first,
        approved_by=tree.a,
    )
    DuesRelief.objects.create(
        member=a1[2],
        kind=ReliefKind.REDUCE,
        start_month=first,
        end_month=this_month,
        monthly_amount=Decimal("5.55"),
        approved_on=first,
        approved_by=tree.a,
    )
    left = make_member(tree.a1g1, name="已转出")
    declare(today, left)
    left.status, left.inactive_from = "transferred_out", first + dt.timedelta(days=40)
    left.save()
    declare(
        today,
        make_member(tree.a2, name="新党员", joined_on=today, category="probationary", confirmed_on=None),
    )
    last_year = make_member(tree.a2, name="去年")
    declare(today, last_year, year=today.year - 1)
    record_payment(
        actor=None,
        member=last_year,
        months=f"{today.year - 1}-03",
        amount=Decimal("90.00"),
        paid_on=dt.date(today.year - 1, 3, 20),
        method="cash",
    )

    def lines(year):
        return [(x.label, x.org and x.org.pk, x.months) for x in year_summary(users["gongwei"], year)]

    kept = {year: lines(year) for year in (today.year, today.year - 1)}
    assert LedgerSnapshot.objects.exclude(amounts="").count() >= 5
    LedgerSnapshot.objects.all().delete()
    for year, found in kept.items():
        assert found == lines(year) and found


def test_a_large_summary_shows_the_units_each_opening_its_branches(
    client, users, tree, branch, make_member, monkeypatch, today
):
    from dangjian.dues import selectors

    declare(today, make_member(tree.b1, name="乙党员"))
    monkeypatch.setattr(selectors, "SUMMARY_BRANCH_ROWS", 2)  # 甲一 and 甲二 of 甲委, 乙一 of 乙委: more
    login(client, users["gongwei"])
    response = client.get(reverse("dues:summary"))
    lines = response.context["lines"]
    assert response.context["by_unit"] and all(line.is_unit for line in lines)
    unit = next(line for line in lines if line.unit == "甲委")
    assert unit.drill == tree.a and unit.total_due > 0
    html = response.content.decode()
    assert f'href="?org={tree.a.pk}&amp;year={today.year}"' in html and 'data-org="A1"' not in html
    opened = client.get(reverse("dues:summary"), {"org": tree.a.pk, "year": today.year})
    assert {line.label for line in opened.context["lines"] if not line.is_unit} == {"甲一支部", "甲二支部"}
    assert opened.context["by_unit"] is False  # one unit's branches are shown whole, however many


def _arrears_setup(today, make_member, tree, months=7):
    """A member of 甲一 who joined long ago with a base since last January and nothing paid."""
    m = make_member(tree.a1, name="欠缴者")
    declare(today, m, year=today.year - 1)
    declare(today, m)
    return m


def test_arrears_with_levels_and_a_review(client, users, tree, make_member, ym, today):
    m = _arrears_setup(today, make_member, tree)
    login(client, users["branch_a1"])
    response = client.get(reverse("dues:arrears"))
    assert response.status_code == 200
    item = next(i for i in response.context["items"] if i.row.member_id == m.pk)
    assert item.row.level == "case"  # 12+ months unpaid
    body = response.content.decode()
    assert "需审查" in body and 'data-testid="unit"' not in body  # a branch's own list: no 单位 beside it
    login(client, users["dangwei_a"])  # over a 党委's branches: each member's 单位 beside the branch
    body = client.get(reverse("dues:arrears")).content.decode()
    assert re.search(r'甲一支部 · <span data-testid="unit">甲委</span>', body)
    login(client, users["branch_a1"])
    response = client.post(
        reverse("dues:arrears"),
        {
            "member": m.pk,
            "reviewed_on": today.isoformat(),
            "through_month": item.row.unpaid_months[-1],
            "decision": "contact",
            "reason": "已电话联系，本人称下月补交。",
        },
    )
    assert response.status_code == 302
    review = ArrearsReview.objects.get(member=m)
    assert review.reviewed_by == users["branch_a1"]
    response = client.get(reverse("dues:arrears"))
    assert "正在联系核实" in response.content.decode()
    # A sibling cannot review this member.
    login(client, users["branch_a2"])
    response = client.post(
        reverse("dues:arrears"),
        {
            "member": m.pk,
            "reviewed_on": today.isoformat(),
            "through_month": ym,
            "decision": "contact",
            "reason": "x",
        },
    )
    assert response.status_code == 404
    assert ArrearsReview.objects.count() == 1


def test_arrears_over_a_range_too_wide_ask_for_a_narrower_one(
    client, users, tree, make_member, settings, today
):
    """Over more 党支部 than WIDE_LIST_BRANCHES the arrears are not worked out: the page offers the organisations
    one level down (keeping 截至日期), without the counts; a review posted from a listed page is still recorded."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    m = _arrears_setup(today, make_member, tree)
    as_of = today.isoformat()
    login(client, users["gongwei"])
    response = client.get(reverse("dues:arrears"), {"as_of": as_of})
    assert response.status_code == 200
    assert response.context["items"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="arrears"' not in html
    assert f'href="?as_of={as_of}&amp;org={tree.a.pk}"' in html and "欠缴者" not in html
    assert "需审查 0 人" not in html and "没有逾期未交的党费" not in html
    assert 'id="dj-asof"' in html  # the filter stays
    response = client.get(reverse("dues:arrears"), {"org": tree.a.pk})  # 甲委: two 党支部
    assert response.context["wide"] is None
    item = next(i for i in response.context["items"] if i.row.member_id == m.pk)
    assert item.row.level == "case" and item.form is not None and "需审查 1 人" in response.content.decode()
    response = client.post(
        reverse("dues:arrears"),
        {
            "member": m.pk,
            "reviewed_on": today.isoformat(),
            "through_month": item.row.unpaid_months[-1],
            "decision": "contact",
            "reason": "",
        },
    )  # invalid, over the range too wide to list: the member's branch comes back with the form and its errors
    assert response.status_code == 400 and not ArrearsReview.objects.filter(member=m).exists()
    assert response.context["wide"] is None and response.context["org"] == tree.a1
    html = response.content.decode()
    assert 'data-testid="wide-scope"' not in html and "这个字段是必填项" in html
    shown = next(i for i in response.context["items"] if i.row.member_id == m.pk)
    assert shown.form.errors and shown.form.data["through_month"] == item.row.unpaid_months[-1]
    response = client.post(
        reverse("dues:arrears"),
        {
            "member": m.pk,
            "reviewed_on": today.isoformat(),
            "through_month": item.row.unpaid_months[-1],
            "decision": "contact",
            "reason": "已电话联系，本人称下月补交。",
        },
    )  # without an organisation, the range the 工委's page does not list
    assert response.status_code == 302 and ArrearsReview.objects.filter(member=m).count() == 1
    login(client, users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(reverse("dues:arrears"))
    assert response.context["wide"] is None and m.pk in {i.row.member_id for i in response.context["items"]}


def test_summary_rolls_up_per_unit(client, users, tree, branch, ym, this_month, today):
    record_payment(
        actor=None, member=branch["a2"], months=ym, amount=Decimal("90.00"), paid_on=today, method="cash"
    )
    login(client, users["gongwei"])
    response = client.get(f"{reverse('dues:summary')}?year={today.year}")
    assert response.status_code == 200
    lines = response.context["lines"]
    labels = [line.label for line in lines]
    assert labels == ["甲一支部", "甲二支部", "甲委 小计", "合计"]
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(f"{reverse('dues:summary')}?year={today.year}").context["lines"]
    assert [line.label for line in english][-2:] == ["甲委 subtotal", "Total"]
    a2 = lines[1]
    cell = a2.cells[this_month.month - 1]
    assert cell["due"] == Decimal("90.00") and cell["paid"] == Decimal("90.00") and cell["rate"] == 100
    assert lines[2].cells[this_month.month - 1]["due"] == Decimal("479.00")


def test_publication_lists_collected_and_extra_payments(client, users, tree, branch, ym, today):
    own = branch["a1"][0]
    record_payment(actor=None, member=own, months=ym, amount=Decimal("90.00"), paid_on=today, method="cash")
    record_payment(
        actor=None,
        member=own,
        months=ym,
        amount=Decimal("1000.00"),
        paid_on=today,
        method="transfer",
        is_extra=True,
    )
    login(client, users["branch_a1"])
    response = client.get(f"{reverse('dues:publication')}?org={tree.a1.pk}&year={today.year}")
    assert response.status_code == 200
    month = response.context["months"][today.month - 1]
    assert (month.collected, month.payers, month.extra, month.remitted) == (
        Decimal("90.00"),
        1,
        Decimal("1000.00"),
        Decimal("1000.00"),
    )
    assert "党费收缴情况公示" in response.content.decode()
    assert client.get(f"{reverse('dues:publication')}?org={tree.b1.pk}").status_code == 404


# --- query counts -----------------------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(today, make_member, tree, n):
    for i in range(n):
        m = make_member(tree.a1 if i % 2 else tree.a1g1, name=f"成员{i:03d}")
        declare(today, m, base=str(2000 + i * 300))
        if i % 3 == 0:
            record_payment(
                actor=None,
                member=m,
                months=f"{today:%Y-%m}",
                amount=Decimal("5.00"),
                paid_on=today,
                method="cash",
            )


@pytest.mark.parametrize("page", ["sheet", "arrears"])
def test_query_count_is_constant(client, users, tree, make_member, page, today):
    url = sheet_url(today, tree.a1) if page == "sheet" else reverse("dues:arrears")
    login(client, users["branch_a1"])
    _grow(today, make_member, tree, 5)
    small = _count(client, url)
    _grow(today, make_member, tree, 35)
    large = _count(client, url)
    print(f"{page}: {small} vs {large} queries")
    assert small == large, (small, large)
    assert large <= 14


def test_a_wide_arrears_page_costs_the_same_queries_however_large(
    client, users, tree, make_member, add_branches, settings, today
):
    settings.WIDE_LIST_BRANCHES = 2
    login(client, users["gongwei"])
    _grow(today, make_member, tree, 3)
    small = _count(client, reverse("dues:arrears"))
    add_branches(6, 1)
    _grow(today, make_member, tree, 20)
    response = client.get(reverse("dues:arrears"))
    assert response.context["wide"].branches == 9 and response.context["items"] == []
    large = _count(client, reverse("dues:arrears"))
    assert small == large, (small, large)


def test_the_sheet_reads_its_members_once_and_not_their_personal_data(
    client, users, tree, make_member, today
):
    login(client, users["branch_a1"])
    _grow(today, make_member, tree, 4)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(sheet_url(today, tree.a1))
    assert len(response.context["sheet"].rows) >= 4  # and the tree's own member, without a base
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len([q for q in sql if q.startswith('SELECT "members_member"."id"')]) == 1
    assert not [q for q in sql if '"id_number"' in q or '"phone"' in q]


def test_select_all_records_a_sheet_in_a_bounded_number_of_queries(
    client, users, tree, make_member, ym, this_month, today
):
    """全选 on a collection sheet: the same number of queries for 5 members as for 35."""
    login(client, users["branch_a1"])

    def grow(n: int) -> None:
        for i in range(n):
            declare(
                today,
                make_member(tree.a1 if i % 2 else tree.a1g1, name=f"缴费{i:03d}"),
                base=str(3000 + i * 100),
            )

    def post_all(month: str) -> int:
        open_rows = client.get(sheet_url(today, tree.a1, month)).context["sheet"].open_rows
        rows = [(r.member, f"{r.row.due}") for r in open_rows]
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, rows, month))
        assert response.status_code == 302
        assert DuesPayment.objects.filter(first_month=f"{month}-01").count() == len(rows)
        return len(ctx.captured_queries)

    grow(5)
    small = post_all(ym)
    grow(30)
    large = post_all(f"{(this_month - dt.timedelta(days=1)):%Y-%m}")
    print(f"select-all: {small} vs {large} queries")
    assert small == large, (small, large)


def test_the_year_summary_sums_with_the_collector_paused(client, users, tree, branch, collector_spy, today):
    """The 工委's summary reads 60,000 members' snapshots and ledgers: with the collector paused (as the compliance
    evaluation), which resumes after it; the page is the same."""
    import gc

    from dangjian.dues import selectors

    seen = collector_spy(selectors, "_kept_amounts")
    login(client, users["gongwei"])
    response = client.get(reverse("dues:summary"), {"year": today.year})
    assert response.status_code == 200 and [line.label for line in response.context["lines"]][-1] == "合计"
    assert seen == [False] and gc.isenabled()


def test_a_single_unpaid_month_is_not_called_a_run(client, users, tree, make_member, this_month, today):
    """One overdue month unpaid reads "1 个月", not "连续 1 个月"."""
    m = make_member(tree.a1, name="欠一月")
    last = add_months(this_month, -1)
    declare(today, m, year=last.year, month=last)
    login(client, users["branch_a1"])
    response = client.get(reverse("dues:arrears"))
    item = next(i for i in response.context["items"] if i.row.member_id == m.pk)
    assert item.row.consecutive == 1
    html = response.content.decode()
    row = html[html.index(f'data-member="{m.pk}"') :]
    row = row[: row.index("</li>")]
    assert "1 个月" in row and "连续 1 个月" not in row


def test_the_year_switch_runs_from_the_year_joined_to_the_last_year_with_dues(client, users, today):
    """The branch's page of a member's 党费 goes back to the year they joined and forward to next year (paid
    ahead); 我的党费 forward to this year only (a year that has not begun holds nothing the member owes). A year
    beyond, typed in the address, links back to the last one."""
    member = users["own_member"]
    joined, this = member.joined_on.year, today.year

    def links(url, year):
        body = client.get(url, {"year": year}).content.decode()
        nav = body[body.index('data-testid="years"') :]
        nav = nav[: nav.index("</nav>")]
        return re.findall(r'href="\?year=(\d+)" rel="(prev|next)"', nav)

    login(client, users["branch_a1"])
    url = reverse("dues:member", args=[member.pk])
    assert links(url, this) == [(str(this - 1), "prev"), (str(this + 1), "next")]
    assert links(url, this + 1) == [(str(this), "prev")]
    assert links(url, this + 5) == [(str(this + 1), "prev")]
    assert links(url, joined) == [(str(joined + 1), "next")]
    login(client, users["member_a1"])
    url = reverse("dues:mine")
    assert links(url, this) == [(str(this - 1), "prev")]
    assert links(url, this - 1) == [(str(this - 2), "prev"), (str(this), "next")]
    assert links(url, this + 1) == [(str(this), "prev")]
    assert links(url, this + 5) == [(str(this), "prev")]
    assert links(url, joined) == [(str(joined + 1), "next")]


def test_a_member_without_a_base_says_where_it_is_declared(client, users, today):
    """A member's 党费 page without a declared base was a dead end: it names the import where the base is declared."""
    member = users["own_member"]
    login(client, users["branch_a1"])
    body = client.get(reverse("dues:member", args=[member.pk]), {"year": today.year}).content.decode()
    assert "年度没有申报缴费基数" in body
    imports = reverse("portal:import_index")
    assert f'<a href="{imports}#import-dues-bases">数据导入 › 党费基数申报</a>' in body
    page = client.get(imports)  # a page the branch's administrator opens, with that import's card
    assert page.status_code == 200 and 'id="import-dues-bases"' in page.content.decode()


def test_a_group_members_row_names_the_group_under_the_branch(client, users, tree, make_member):
    """On the 党费收缴表 a 党小组's member carries the group's name without the branch's (the whole name wrapped over
    four lines of the name column on a laptop), the whole name on hover."""
    from dangjian.orgs.services import create_org

    group = create_org(
        actor=None,
        data={
            "code": "A1G2",
            "name": "甲一支部第二党小组",
            "type": "xiaozu",
            "parent": tree.a1,
            "unit": "甲委",
        },
    )
    make_member(group, name="小组成员")
    make_member(tree.a1g1, name="另一成员")  # a group named otherwise keeps its whole name
    login(client, users["branch_a1"])
    body = client.get(reverse("dues:sheet"), {"org": tree.a1.pk}).content.decode()
    assert 'title="甲一支部第二党小组">第二党小组</div>' in body
    assert 'title="甲一第一党小组">甲一第一党小组</div>' in body
