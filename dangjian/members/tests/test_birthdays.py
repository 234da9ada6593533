"""政治生日: who is listed for a month (29 February, off the roll, 预备党员, per branch with its 党小组),
the page, the greeting card PDF, and the panel on the branch's page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from dangjian.members import selectors
from dangjian.members.models import Member

D = dt.date
FEB = D(2026, 2, 1)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def february(tree, make_member):
    return {
        "leap": make_member(tree.a1, name="闰日党员", joined_on=D(2000, 2, 29), confirmed_on=D(2001, 2, 28)),
        "group": make_member(
            tree.a1g1, name="小组党员", joined_on=D(2010, 2, 14), confirmed_on=D(2011, 2, 14)
        ),
        "probation": make_member(
            tree.a1, name="预备党员甲", category="probationary", joined_on=D(2025, 2, 10), confirmed_on=None
        ),
        "other_branch": make_member(
            tree.b1, name="乙一党员", joined_on=D(2016, 2, 3), confirmed_on=D(2017, 2, 3)
        ),
        "left": make_member(tree.a1, name="已转出", joined_on=D(2012, 2, 5), confirmed_on=D(2013, 2, 5)),
        "march": make_member(tree.a1, name="三月党员", joined_on=D(2012, 3, 1), confirmed_on=D(2013, 3, 1)),
        "this_year": make_member(
            tree.a2, name="今年入党", category="probationary", joined_on=D(2026, 2, 2), confirmed_on=None
        ),
    }


def _leave(member, on):
    Member.objects.filter(pk=member.pk).update(status="transferred_out", inactive_from=on)


def test_birthdays_of_a_month(tree, february):
    _leave(february["left"], D(2026, 1, 15))
    found = selectors.birthdays(Member.objects.all(), FEB)
    assert [(b.member.name, b.branch.code, b.date, b.years, b.party_age) for b in found] == [
        ("预备党员甲", "A1", D(2026, 2, 10), 1, None),
        ("小组党员", "A1", D(2026, 2, 14), 16, 15),  # the 党小组's member under its branch
        ("闰日党员", "A1", D(2026, 2, 28), 26, 25),  # 29 February → 28 February; 党龄 from 转正 (DEV-20)
        ("乙一党员", "B1", D(2026, 2, 3), 10, 9),
    ]
    grouped = selectors.birthdays_by_branch(found)
    assert [(branch.code, [b.member.name for b in people]) for branch, people in grouped] == [
        ("A1", ["预备党员甲", "小组党员", "闰日党员"]),
        ("B1", ["乙一党员"]),
    ]


def test_leap_day_member_in_a_leap_year(tree, february):
    found = {b.member.name: b for b in selectors.birthdays(Member.objects.all(), D(2028, 2, 1))}
    assert found["闰日党员"].date == D(2028, 2, 29)
    assert found["闰日党员"].party_age == 27


def test_member_who_left_the_roll_during_the_month_is_not_listed(tree, february):
    _leave(february["left"], D(2026, 2, 20))
    names = {b.member.name for b in selectors.birthdays(Member.objects.all(), FEB)}
    assert "已转出" not in names
    # but was in an earlier February, when still on the roll
    assert "已转出" in {b.member.name for b in selectors.birthdays(Member.objects.all(), D(2025, 2, 1))}


def test_birthdays_read_one_query_without_personal_data(tree, february):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        found = selectors.birthdays(Member.objects.in_subtree(tree.a), FEB)
        assert [b.branch.name for b in found]  # branch (the 党小组's parent) already loaded
        # what the pages, the work list and `dangjian members birthdays` show: read with the members
        assert all(
            (b.member.name, b.member.org.code, b.member.org.name, b.member.joined_on, b.member.confirmed_on)
            for b in found
        )
    assert len(ctx.captured_queries) == 1
    assert (
        '"id_number"' not in ctx.captured_queries[0]["sql"]
        and '"phone"' not in ctx.captured_queries[0]["sql"]
    )


# --- page --------------------------------------------------------------------------------------------


def test_birthday_page_lists_per_branch_within_scope(client, users, tree, february):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("members:birthdays"), {"month": "2026-02"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026 年 2 月政治生日" in html
    assert [b.code for b, _ in response.context["branches"]] == ["A1"]
    for name in ("闰日党员", "小组党员", "预备党员甲"):
        assert name in html
    assert "乙一党员" not in html and "今年入党" not in html and "三月党员" not in html
    card = reverse("members:birthday_card", args=[february["leap"].pk])
    assert f"{card}?month=2026-02" in html


def test_birthday_page_org_filter_and_default_month(client, users, tree, february, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 4, 9, 0))
    client.force_login(users["gongwei"])
    response = client.get(reverse("members:birthdays"))
    assert response.context["month"] == D(2026, 3, 1)
    assert [b.member.name for _, people in response.context["branches"] for b in people] == ["三月党员"]
    response = client.get(reverse("members:birthdays"), {"month": "2026-02", "org": tree.b.pk})
    assert [b.member.name for _, people in response.context["branches"] for b in people] == ["乙一党员"]


def test_birthday_page_over_a_range_too_wide_asks_for_a_narrower_one(client, users, tree, february, settings):
    """Over more 党支部 than WIDE_LIST_BRANCHES the 政治生日 are not worked out: the page offers the organisations
    one level down, keeping the month, without the total."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    client.force_login(users["gongwei"])
    response = client.get(reverse("members:birthdays"), {"month": "2026-02"})
    assert response.status_code == 200
    assert response.context["branches"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="birthday"' not in html
    assert 'data-testid="birthday-total"' not in html and 'data-testid="birthday-empty"' not in html
    assert f'href="?month=2026-02&amp;org={tree.a.pk}"' in html and "闰日党员" not in html
    assert 'role="search"' in html  # the filter stays
    response = client.get(reverse("members:birthdays"), {"month": "2026-02", "org": tree.a.pk})  # 甲委: two
    assert response.context["wide"] is None and "闰日党员" in response.content.decode()
    assert [b.code for b, _ in response.context["branches"]] == ["A1"]
    client.force_login(users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(reverse("members:birthdays"), {"month": "2026-02"})
    assert response.context["wide"] is None and 'data-testid="birthday-total"' in response.content.decode()


def test_a_wide_birthday_page_costs_the_same_queries_however_large(
    client, users, tree, make_member, add_branches, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.WIDE_LIST_BRANCHES = 2
    client.force_login(users["gongwei"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("members:birthdays"), {"month": "2026-07"})
        assert response.status_code == 200 and response.context["wide"] is not None
        return len(ctx.captured_queries)

    small = count()
    add_branches(6, 1)  # each with a member who joined in July
    for i in range(10):
        make_member(tree.b1, name=f"七月党员{i}")
    assert count() == small


def test_birthday_page_is_for_admins(client, users):
    client.force_login(users["member_a1"])
    assert client.get(reverse("members:birthdays")).status_code == 403


# --- card --------------------------------------------------------------------------------------------


def test_card_is_a_pdf_with_the_chinese_text(client, users, tree, february):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("members:birthday_card", args=[february["leap"].pk]), {"month": "2026-02"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"STSong-Light" in response.content
    text = pdf_text(response.content)
    assert "政治生日贺卡" in text
    assert "闰日党员同志" in text
    assert "入党日期：2000年2月29日" in text
    assert "党龄 25 年" in text
    assert "加入中国共产党26周年" in text
    assert "甲一支部全体党员" in text
    assert "2026年2月28日" in text


def test_card_of_a_probationary_member_says_so(client, users, tree, february):
    client.force_login(users["branch_a1"])
    response = client.get(
        reverse("members:birthday_card", args=[february["probation"].pk]), {"month": "2026-02"}
    )
    text = pdf_text(response.content)
    assert "预备党员甲同志" in text and "预备党员" in text and "党龄" not in text


def test_card_refused_outside_the_month_the_scope_or_the_roll(client, users, tree, february):
    client.force_login(users["branch_a1"])
    url = reverse("members:birthday_card", args=[february["leap"].pk])
    assert client.get(url, {"month": "2026-03"}).status_code == 404
    assert client.get(url, {"month": "2026-13"}).status_code == 404
    other = reverse("members:birthday_card", args=[february["other_branch"].pk])
    assert client.get(other, {"month": "2026-02"}).status_code == 404
    _leave(february["leap"], D(2025, 12, 1))
    assert client.get(url, {"month": "2026-02"}).status_code == 404


def test_member_may_download_their_own_card(client, users, time_machine):
    time_machine.move_to(dt.datetime(2026, 7, 2, 9, 0))
    own = users["own_member"]  # joined 2010-07-01
    client.force_login(users["member_a1"])
    response = client.get(reverse("members:birthday_card", args=[own.pk]))
    assert response.status_code == 200
    assert "李党员同志" in pdf_text(response.content)


# --- the branch's page -------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "shown"), [(1, True), (10, True), (11, False)])
def test_branch_page_panel_at_the_start_of_the_month(client, users, tree, february, time_machine, day, shown):
    time_machine.move_to(dt.datetime(2026, 2, day, 9, 0))
    _leave(february["left"], D(2026, 1, 31))
    client.force_login(users["branch_a1"])
    response = client.get(reverse("orgs:detail", args=[tree.a1.pk]))
    html = response.content.decode()
    assert ('data-testid="birthday-panel"' in html) is shown
    if shown:
        assert "本月政治生日" in html
        assert [b.member.name for b in response.context["birthdays"]] == [
            "预备党员甲",
            "小组党员",
            "闰日党员",
        ]
        assert reverse("members:birthday_card", args=[february["group"].pk]) + "?month=2026-02" in html


def test_panel_days_setting_and_only_on_branches(client, users, tree, february, time_machine, settings):
    settings.BIRTHDAY_PANEL_DAYS = 15
    time_machine.move_to(dt.datetime(2026, 2, 14, 9, 0))
    client.force_login(users["dangwei_a"])
    assert (
        'data-testid="birthday-panel"'
        in client.get(reverse("orgs:detail", args=[tree.a1.pk])).content.decode()
    )
    for org in (tree.a, tree.a1g1):
        assert (
            'data-testid="birthday-panel"'
            not in client.get(reverse("orgs:detail", args=[org.pk])).content.decode()
        )
