import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.orgs.services import create_org
from dangjian.training.models import Participant, Training
from dangjian.training.services import record_study

pytestmark = pytest.mark.django_db
D = dt.date
PW = "Test-pass-2026"


def login(client, user):
    client.force_login(user)
    return client


def test_index_lists_trainings_in_scope_and_creates_one(client, users, tree, train, make_member):
    mine = train(tree.a, [make_member(tree.a1, name="甲")], D(2026, 4, 1))
    other = train(tree.b, [make_member(tree.b1, name="乙")], D(2026, 4, 2))
    login(client, users["dangwei_a"])
    page = client.get(reverse("training:index"), {"year": 2026}).content.decode()
    assert mine.title in page and reverse("training:detail", args=[mine.pk]) in page
    assert reverse("training:detail", args=[other.pk]) not in page
    response = client.post(
        reverse("training:index"),
        {
            "title": "支部书记轮训",
            "organiser": "市级机关工作党委",
            "level": "county_rotation",
            "org": tree.a.pk,
            "started_on": "2026-05-10",
            "ended_on": "2026-05-12",
            "hours": "24",
        },
    )
    t = Training.objects.get(title="支部书记轮训")
    assert response.status_code == 302 and response["Location"] == reverse("training:detail", args=[t.pk])
    bad = client.post(
        reverse("training:index"),
        {
            "title": "x",
            "organiser": "y",
            "level": "other",
            "org": tree.b.pk,
            "started_on": "2026-05-10",
            "hours": "2",
        },
    )
    assert bad.status_code == 400 and not Training.objects.filter(title="x").exists()


def test_the_registration_form_says_what_is_missing_and_chooses_nothing_for_the_user(client, users, tree):
    """Required fields are marked; an empty submission names each missing item in words of the page (not Django's
    defaults) under a summary; no 培训类别 is chosen in advance; ?org= (the 工作台's link) chooses the organisation."""
    login(client, users["branch_a1"])
    page = client.get(reverse("training:index"), {"org": tree.a1.pk}).content.decode()
    assert f'<option value="{tree.a1.pk}" selected>' in page
    assert re.search(r'<option value="" selected>请选择</option>', page)  # 培训类别: the user chooses
    assert page.count('<span class="text-danger ms-1" aria-hidden="true">*</span>') == 6
    response = client.post(reverse("training:index"), {"hours": "-1"})
    html = response.content.decode()
    assert response.status_code == 400 and not Training.objects.exists()
    assert 'data-testid="form-errors"' in html and "培训尚未登记" in html
    for said in (
        "请填写培训名称。",
        "请填写主办单位。",
        "请选择培训类别。",
        "请选择登记组织。",
        "请填写开始日期。",
    ):
        assert said in html, said
    assert "学时不能为负数。" in html and "这个字段是必填项" not in html


@pytest.mark.parametrize("hours", ["7.25", "123456.7"])
def test_hours_with_too_many_digits_are_refused_in_the_pages_words(client, users, tree, hours):
    """Django's own messages ("确认小数不超过 1 位.", "确认总共不超过 6 个数字.") are not the page's language."""
    login(client, users["branch_a1"])
    data = {
        "title": "支部党员冬训",
        "organiser": "甲一支部",
        "level": "other",
        "org": tree.a1.pk,
        "started_on": "2026-05-10",
        "hours": hours,
    }
    response = client.post(reverse("training:index"), data)
    html = response.content.decode()
    assert response.status_code == 400 and not Training.objects.exists()
    assert "学时最多保留一位小数，且不超过 1000。" in html
    assert "确认" not in html
    assert f'value="{hours}"' in html  # what was typed stays, to be corrected


def test_detail_adds_participants_and_is_404_outside_scope(client, users, tree, train, make_member):
    from dangjian.training.services import create_training

    t = create_training(
        actor=None,
        data={
            "title": "轮训",
            "organiser": "党校",
            "level": "other",
            "org": tree.a,
            "started_on": D(2026, 4, 1),
            "hours": Decimal("8"),
        },
    )
    m = make_member(tree.a1, name="参训甲")
    login(client, users["dangwei_a"])
    page = client.get(reverse("training:detail", args=[t.pk]), {"branch": tree.a1.pk}).content.decode()
    assert "参训甲" in page
    client.post(
        reverse("training:add_participants", args=[t.pk]),
        {"member": [m.pk], f"cert_{m.pk}": "ZS-9", "completed": "on", "branch": tree.a1.pk},
    )
    p = Participant.objects.get(training=t)
    assert p.member == m and p.certificate_no == "ZS-9" and p.completed
    roster = client.get(reverse("training:roster", args=[t.pk])).content.decode()
    assert "参训甲" in roster and "ZS-9" in roster and "签名" in roster
    client.force_login(users["branch_a2"])
    assert client.get(reverse("training:detail", args=[t.pk])).status_code == 404
    assert (
        client.post(reverse("training:add_participants", args=[t.pk]), {"member": [m.pk]}).status_code == 404
    )
    client.force_login(users["member_a1"])
    assert client.get(reverse("training:index")).status_code == 403


def test_hours_page_is_alphabetical_with_met_flags_and_bounded_queries(
    client, users, tree, make_member, train
):
    names = ["王五", "李四", "张三"]
    members = [make_member(tree.a1, name=n) for n in names]
    train(tree.a, members[:1], D(2026, 3, 1), hours="40", ended_on=D(2026, 3, 5))
    record_study(actor=None, member=members[1], platform="xuexi", period="2026", hours="10")
    login(client, users["dangwei_a"])
    url = reverse("training:hours")
    client.get(url, {"org": tree.a1.pk, "year": 2026})  # warm caches (rulebook, parameters)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url, {"org": tree.a1.pk, "year": 2026, "as_of": "2026-12-31"}).content.decode()
    for i in range(8):
        make_member(tree.a1, name=f"赵{i}")
        record_study(
            actor=None, member=members[2], platform="sh_cadre", period=f"2026-{i + 1:02d}", hours="1"
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"org": tree.a1.pk, "year": 2026, "as_of": "2026-12-31"})
    assert len(few.captured_queries) == len(many.captured_queries)
    rows = [n for n in ("张三", "李四", "李党员", "王五") if n in page]
    # by name in pinyin order (li dang yuan, li si, wang wu, zhang san), not by hours
    assert sorted(rows, key=page.index) == [n for n in ("李党员", "李四", "王五", "张三") if n in rows]
    assert len(rows) >= 3
    marker = f'data-member="{members[0].pk}"'
    assert marker in page
    line = page[page.index(marker) :]
    assert "达标" in line[: line.index("</tr>")] and "未达标" not in line[: line.index("</tr>")]
    assert client.get(url, {"org": tree.b1.pk}).status_code == 404


def test_rollup_per_branch_of_the_dangwei(client, users, tree, make_member, appoint):
    sec = make_member(tree.a1, name="甲一书记")
    appoint(sec, tree.a1, D(2020, 1, 1))
    create_org(
        actor=None,
        data={
            "code": "A3",
            "name": "甲三支部",
            "type": "zhibu",
            "parent": tree.a,
            "founded_on": D(2018, 1, 1),
        },
    )
    login(client, users["dangwei_a"])
    page = client.get(
        reverse("training:rollup"), {"org": tree.a.pk, "year": 2026, "as_of": "2026-12-31"}
    ).content.decode()
    assert 'data-org="A1"' in page and 'data-org="A3"' in page and 'data-org="B1"' not in page
    assert "甲一书记" in page and "TRAIN-SECRETARY-ANNUAL" in page


def test_secretary_page_shows_term_training_and_what_is_missing(
    client, tree, make_member, make_user, appoint, train
):
    sec = make_member(tree.a1, name="王书记")
    appoint(sec, tree.a1, D(2026, 3, 15))
    user = make_user("wang", "member", tree.a1, member=sec)
    client.force_login(user)
    page = client.get(reverse("training:secretary"), {"year": 2026, "as_of": "2026-09-15"}).content.decode()
    assert "甲一支部" in page and "本届任期：2018-03-01 至 2021-03-01" in page
    assert "2026-03-15任职，2026-09-15前未接受集中培训" in page
    train(tree.a, [sec], D(2026, 9, 15), hours="16", ended_on=D(2026, 9, 16))
    page = client.get(reverse("training:secretary"), {"year": 2026, "as_of": "2026-09-15"}).content.decode()
    assert "2026-09-15前未接受集中培训" not in page and "培训0915" in page


def test_my_training_of_a_member_who_is_no_secretary_shows_their_own_hours(
    client, tree, make_member, make_user, train
):
    other = make_member(tree.a1, name="普通党员")
    train(tree.a, [other], D(2026, 5, 10), hours="12", ended_on=D(2026, 5, 11))
    record_study(actor=None, member=other, platform="xuexi", period="2026", hours="8.5")
    client.force_login(make_user("pt", "member", tree.a1, member=other))
    page = client.get(reverse("training:secretary"), {"year": 2026, "as_of": "2026-09-15"}).content.decode()
    assert "不担任书记" not in page and "书记" not in page
    assert "<title>我的培训" in page
    assert "20.50 学时" in page and "全年目标 32 学时" in page  # 12 training + 8.5 platform
    assert "其中培训 12 学时，学习平台 8.50 学时。" in page
    assert "还差 11.50 学时。" in page
    assert "培训0510" in page  # the training itself, listed


def test_rollup_costs_the_same_queries_for_few_and_many_branches(
    client, users, tree, make_member, appoint, train
):
    def add(start, end):
        for i in range(start, end):
            branch = create_org(
                actor=None,
                data={
                    "code": f"A-Y{i}",
                    "name": f"支部{i}",
                    "type": "zhibu",
                    "parent": tree.a,
                    "founded_on": D(2018, 1, 1),
                },
            )
            sec = make_member(branch, name=f"书记{i}")
            appoint(sec, branch, D(2026, 2, 1))
            train(tree.a, [sec], D(2026, 3, 1))

    login(client, users["dangwei_a"])
    url = reverse("training:rollup")
    params = {"org": tree.a.pk, "year": 2026, "as_of": "2026-12-31"}
    add(0, 2)
    client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        client.get(url, params)
    add(2, 10)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, params).content.decode()
    assert len(few.captured_queries) == len(many.captured_queries)
    assert page.count('data-org="A-Y') == 10


def test_a_grant_without_descendants_sees_no_branch_hours_or_rollup_rows(
    client, tree, make_member, make_user, appoint, train
):
    """A 党委管理员 over 甲委 without descendants administers 甲委 itself: the hours page and the roll-up
    of 甲委 show none of 甲一/甲二's members, secretaries or rows; the grant with descendants shows them."""
    a1_member = make_member(tree.a1, name="甲一学员")
    a2_member = make_member(tree.a2, name="甲二学员")
    sec = make_member(tree.a1, name="甲一书记")
    appoint(sec, tree.a1, D(2020, 1, 1))
    train(tree.a, [a1_member, a2_member, sec], D(2026, 3, 1), hours="40", ended_on=D(2026, 3, 5))
    only_a = make_user("only_a", "dangwei_admin", tree.a, include_descendants=False)
    with_desc = make_user("a_all", "dangwei_admin", tree.a)
    hours = reverse("training:hours")
    rollup = reverse("training:rollup")
    params = {"org": tree.a.pk, "year": 2026, "as_of": "2026-12-31"}

    login(client, only_a)
    response = client.get(hours, params)
    assert response.status_code == 200 and response.context["lines"] == []
    page = response.content.decode()
    assert "甲一学员" not in page and "甲二学员" not in page and "甲一支部" not in page
    assert "该组织没有在册党员。" in page
    response = client.get(rollup, params)
    assert [line["org"].code for line in response.context["lines"]] == ["A"]
    page = response.content.decode()
    assert 'data-org="A1"' not in page and 'data-org="A2"' not in page and "甲一书记" not in page
    assert client.get(hours, {**params, "org": tree.a1.pk}).status_code == 404

    login(client, with_desc)
    response = client.get(hours, params)
    assert [line.name for line in response.context["lines"]] == ["甲一书记", "甲一学员", "甲二学员"]
    response = client.get(rollup, params)
    assert [line["org"].code for line in response.context["lines"]] == ["A", "A1", "A2"]
    assert "甲一书记" in response.content.decode()


def test_hours_over_a_range_too_wide_ask_for_a_narrower_one(
    client, users, tree, make_member, train, settings
):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) no member's hours are worked out:
    the page offers the organisations one level down, each keeping the year; the filter form stays."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    train(
        tree.a, [make_member(tree.a1, name="甲一学员"), make_member(tree.b1, name="乙一学员")], D(2026, 3, 1)
    )
    url = reverse("training:hours")
    login(client, users["gongwei"])
    response = client.get(url, {"year": 2026})
    assert response.status_code == 200
    assert response.context["lines"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="hours"' not in html
    assert (
        f'href="?year=2026&amp;org={tree.a.pk}"' in html and f'href="?year=2026&amp;org={tree.b.pk}"' in html
    )
    assert "甲一学员" not in html and "乙一学员" not in html
    assert (
        'data-testid="met-summary"' not in html
        and "data-print" not in html
        and "该组织没有在册党员" not in html
    )
    assert 'name="year"' in html  # the filter form
    response = client.get(url, {"year": 2026, "org": tree.a.pk})  # 甲委: two 党支部
    assert response.context["wide"] is None
    assert [line.name for line in response.context["lines"]] == ["甲一学员", "李党员"]
    assert 'data-testid="hours"' in response.content.decode()
    login(client, users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(url, {"year": 2026})
    assert response.context["wide"] is None and "甲一学员" in response.content.decode()


def test_rollup_over_a_range_too_wide_ask_for_a_narrower_one(
    client, users, tree, make_member, appoint, settings
):
    """The roll-up of a range over WIDE_ROLLUP_BRANCHES evaluates nothing and offers the organisations one level
    down; a 党支部 among them (no roll-up of its own) leads to its members' hours."""
    settings.WIDE_ROLLUP_BRANCHES = 2
    appoint(make_member(tree.a1, name="甲一书记"), tree.a1, D(2020, 1, 1))
    url = reverse("training:rollup")
    login(client, users["gongwei"])
    response = client.get(url, {"year": 2026})
    assert response.status_code == 200
    assert response.context["lines"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="rollup"' not in html
    assert (
        f'href="?year=2026&amp;org={tree.a.pk}"' in html and f'href="?year=2026&amp;org={tree.b.pk}"' in html
    )
    assert "甲一书记" not in html and "没有可汇总的组织" not in html and "data-print" not in html
    response = client.get(url, {"year": 2026, "org": tree.a.pk})  # 甲委: two 党支部
    assert response.context["wide"] is None
    assert [line["org"].code for line in response.context["lines"]] == ["A", "A1", "A2"]
    assert "甲一书记" in response.content.decode()
    login(client, users["dangwei_a"])
    response = client.get(url, {"year": 2026})
    assert response.context["wide"] is None and 'data-testid="rollup"' in response.content.decode()
    settings.WIDE_ROLLUP_BRANCHES = 1  # 甲委 itself too wide: its 党支部 lead to the hours page
    html = client.get(url, {"year": 2026, "org": tree.a.pk}).content.decode()
    hours = reverse("training:hours")
    assert f'href="{hours}?year=2026&amp;org={tree.a1.pk}"' in html
    assert f'href="{hours}?year=2026&amp;org={tree.a2.pk}"' in html


def test_the_rollup_has_a_limit_of_its_own_above_the_lists(
    client, users, tree, make_member, appoint, settings
):
    """A roll-up has one row per organisation, not per member: a 党委 whose 党支部 are too many for the lists of
    members (WIDE_LIST_BRANCHES) still sees its whole range on one page, up to WIDE_ROLLUP_BRANCHES."""
    settings.WIDE_LIST_BRANCHES = 1
    settings.WIDE_ROLLUP_BRANCHES = 2
    appoint(make_member(tree.a1, name="甲一书记"), tree.a1, D(2020, 1, 1))
    login(client, users["dangwei_a"])  # 甲委: two 党支部
    response = client.get(reverse("training:rollup"), {"year": 2026, "org": tree.a.pk})
    assert response.context["wide"] is None
    assert [line["org"].code for line in response.context["lines"]] == ["A", "A1", "A2"]
    assert "甲一书记" in response.content.decode()
    response = client.get(reverse("training:hours"), {"year": 2026, "org": tree.a.pk})  # per member: too wide
    assert response.context["wide"].branches == 2 and response.context["lines"] == []


@pytest.mark.parametrize("name", ["training:hours", "training:rollup"])
def test_a_wide_hours_or_rollup_page_costs_the_same_queries_for_few_and_many_branches(
    client, users, tree, add_branches, settings, name
):
    settings.WIDE_LIST_BRANCHES = 2
    settings.WIDE_ROLLUP_BRANCHES = 2
    login(client, users["gongwei"])
    url = reverse(name)
    client.get(url, {"year": 2026})  # warm caches (rulebook, parameters)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"year": 2026}).context["wide"].branches == 3
    add_branches(8, 0)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"year": 2026}).context["wide"].branches == 11
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_training_results_are_worked_out_with_the_collector_paused(client, users, tree, collector_spy):
    """学时汇总 and 培训学时 evaluate the TRAIN-* rules over a scope (a city's: thousands of organisations): with the
    collector paused, as the compliance evaluation, which resumes after it."""
    import gc

    from dangjian.training import selectors

    seen = collector_spy(selectors, "load_training_facts")
    login(client, users["dangwei_a"])
    response = client.get(reverse("training:rollup"), {"year": 2026, "org": tree.a.pk})
    assert response.status_code == 200 and response.context["lines"]
    assert seen == [False] and gc.isenabled()
