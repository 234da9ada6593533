"""The member list's 党籍状态 / 工作状态 / 流动党员 filters and the counts of the filtered set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.members.models import Member


@pytest.fixture
def roll(tree, make_member):
    people = {
        "active": make_member(tree.a1, name="在职甲"),
        "retired": make_member(tree.a1, name="退休乙", work_status="retired"),
        "retired_mobile": make_member(tree.a2, name="退休流动丙", work_status="retired", is_mobile=True),
        "mobile": make_member(tree.a2, name="流动丁", is_mobile=True),
        "suspended": make_member(tree.a1, name="停籍戊", work_status="retired"),
        "deceased": make_member(tree.a2, name="去世己"),
    }
    Member.objects.filter(pk=people["suspended"].pk).update(
        status="suspended", inactive_from=dt.date(2025, 1, 1)
    )
    Member.objects.filter(pk=people["deceased"].pk).update(
        status="deceased", inactive_from=dt.date(2025, 6, 1)
    )
    return people


def names(response) -> set[str]:
    return {m.name for m in response.context["page"].object_list}


def test_default_lists_only_normal_members_with_counts(client, users, roll):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("members:list"))
    assert names(response) == {"李党员", "在职甲", "退休乙", "退休流动丙", "流动丁"}
    assert response.context["counts"] == {"total": 5, "retired": 2, "mobile": 2}
    html = response.content.decode()
    assert 'data-testid="member-retired">2<' in html
    assert 'data-testid="member-mobile">2<' in html
    assert "停籍戊" not in html


def test_status_filter_all_and_one_status(client, users, roll):
    client.force_login(users["dangwei_a"])
    everyone = client.get(reverse("members:list"), {"status": "all"})
    assert names(everyone) == {"李党员", "在职甲", "退休乙", "退休流动丙", "流动丁", "停籍戊", "去世己"}
    assert everyone.context["counts"] == {"total": 7, "retired": 3, "mobile": 2}
    assert "停止党籍" in everyone.content.decode()  # the status badge of a member off the roll
    suspended = client.get(reverse("members:list"), {"status": "suspended"})
    assert names(suspended) == {"停籍戊"}
    assert suspended.context["counts"] == {"total": 1, "retired": 1, "mobile": 0}


def test_work_status_and_mobile_filters_and_their_counts(client, users, roll, tree):
    client.force_login(users["dangwei_a"])
    retired = client.get(reverse("members:list"), {"work_status": "retired"})
    assert names(retired) == {"退休乙", "退休流动丙"}
    assert retired.context["counts"] == {"total": 2, "retired": 2, "mobile": 1}
    mobile = client.get(reverse("members:list"), {"is_mobile": "1", "org": tree.a2.pk})
    assert names(mobile) == {"退休流动丙", "流动丁"}
    not_mobile = client.get(reverse("members:list"), {"is_mobile": "0", "work_status": "active"})
    assert names(not_mobile) == {"李党员", "在职甲"}
    assert not_mobile.context["counts"] == {"total": 2, "retired": 0, "mobile": 0}


def test_export_follows_the_status_filter(client, users, roll):
    import io

    import openpyxl

    client.force_login(users["gongwei"])
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("members:export")).content))
    exported = {row[0] for row in book.active.iter_rows(min_row=2, values_only=True) if row[0]}
    assert "停籍戊" not in exported and "在职甲" in exported
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("members:export"), {"status": "all"}).content)
    )
    assert "停籍戊" in {row[0] for row in book.active.iter_rows(min_row=2, values_only=True) if row[0]}


def test_filtered_list_with_counts_is_a_constant_number_of_queries(
    client, users, tree, make_member, django_assert_max_num_queries
):
    for i in range(60):
        make_member(
            tree.a1 if i % 2 else tree.a2, name=f"党员{i:02d}", work_status="retired" if i % 3 else "active"
        )
    client.force_login(users["dangwei_a"])
    # session, user, scope, filter orgs, the aggregate (total, 离退休, 流动), the page
    with django_assert_max_num_queries(7):  # +1: the header's unread count
        response = client.get(
            reverse("members:list"), {"status": "all", "work_status": "retired", "is_mobile": "0"}
        )
    assert response.context["counts"] == {"total": 40, "retired": 40, "mobile": 0}
    assert response.context["page"].paginator.count == 40


def test_status_filter_offers_all_first_and_selects_normal_by_default(client, users, roll, tree):
    from dangjian.members.forms import MemberFilterForm

    assert [v for v, _ in MemberFilterForm().fields["status"].choices] == [
        "all",
        "normal",
        "suspended",
        "left_party",
        "deceased",
        "transferred_out",
    ]
    client.force_login(users["dangwei_a"])
    for params in ({}, {"org": tree.a1.pk}):  # the bare page and a link without a status
        html = client.get(reverse("members:list"), params).content.decode()
        select = html[html.index('name="status"') :]
        select = select[: select.index("</select>")]
        assert select.index('value="all"') < select.index('value="normal"')
        assert '<option value="normal" selected>' in select
        assert 'value="all" selected' not in select
    html = client.get(reverse("members:list"), {"status": "all"}).content.decode()
    assert '<option value="all" selected>' in html
