"""The pages: a branch's cases by stage (bounded queries), the roll-up, a new case, a step recorded through the
case page, a refusal shown on the form with its rule, and scope (another branch's case is a 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from dangjian.core import idcard
from dangjian.core.dates import add_months
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import open_case
from dangjian.pipeline.tests.helpers import advance, plan

pytestmark = pytest.mark.django_db


def pid(seq):
    return idcard.make("310230", dt.date(1996, 2, 2) + dt.timedelta(days=seq), seq % 999, seq % 2 == 0)


@pytest.fixture
def admin_a1(client, users):
    client.force_login(users["branch_a1"])
    return client


def make_cases(org, n, today, start=0):
    return [
        open_case(
            actor=None,
            org=org,
            name=f"申请人{start + i}",
            id_number=pid(start + i),
            applied_on=today - dt.timedelta(days=40),
        )
        for i in range(n)
    ]


def test_branch_page_lists_cases_by_stage_with_next_step(admin_a1, tree, today):
    make_cases(tree.a1, 2, today)
    make_cases(tree.a2, 1, today, start=10)
    response = admin_a1.get(reverse("pipeline:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "申请人0" in html and "申请人1" in html and "申请人10" not in html
    assert "党组织派人谈话" in html and "已逾期" in html and "DEV-03" in html
    assert 'data-testid="overdue-count">2<' in html


def test_branch_page_query_count_does_not_grow(admin_a1, tree, today):
    make_cases(tree.a1, 2, today)
    with CaptureQueriesContext(connection) as few:
        admin_a1.get(reverse("pipeline:index"))
    make_cases(tree.a1, 12, today, start=20)
    with CaptureQueriesContext(connection) as many:
        admin_a1.get(reverse("pipeline:index"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_rollup_counts_per_branch(client, users, tree, today):
    make_cases(tree.a1, 2, today)
    make_cases(tree.a2, 1, today, start=10)
    make_cases(tree.b1, 1, today, start=20)
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("pipeline:rollup")).content.decode()
    assert 'data-org="A1"' in html and 'data-org="A2"' in html and 'data-org="B1"' not in html
    assert 'data-testid="rollup-total">3<' in html
    # what it counts is said: the cases recorded here, not the roll's 预备党员
    assert "党员名册中的预备党员如未在本平台登记发展流程，不计入此表" in html


def test_rollup_over_a_range_too_wide_asks_for_a_narrower_one(client, users, tree, settings, today):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) the cases are not read: the page offers
    the organisations one level down instead; one of them chosen, its branches are summed up as before."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    make_cases(tree.a1, 2, today)
    client.force_login(users["gongwei"])
    response = client.get(reverse("pipeline:rollup"))
    assert response.status_code == 200
    assert response.context["lines"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="rollup"' not in html
    assert f'href="?org={tree.a.pk}"' in html and 'data-org="A1"' not in html and "rollup-total" not in html
    assert 'name="org"' in html  # the filter the block points to
    response = client.get(reverse("pipeline:rollup"), {"org": tree.a.pk})  # 甲委: two 党支部
    html = response.content.decode()
    assert response.context["wide"] is None and 'data-testid="wide-scope"' not in html
    assert 'data-org="A1"' in html and 'data-org="A2"' in html and 'data-testid="rollup-total">2<' in html
    assert 'name="org"' in html  # the filter stays, to choose another
    client.force_login(users["dangwei_a"])  # 甲委's own range: listed, as before (no filter)
    response = client.get(reverse("pipeline:rollup"))
    html = response.content.decode()
    assert response.context["wide"] is None and 'data-org="A1"' in html and 'name="org"' not in html


def test_new_case_form(admin_a1, tree, today):
    response = admin_a1.post(
        reverse("pipeline:create"),
        {"org": tree.a1.pk, "name": "新申请人", "id_number": pid(5), "applied_on": today.isoformat()},
    )
    case = DevelopmentCase.objects.get(name="新申请人")
    assert response.status_code == 302 and response.url == reverse("pipeline:detail", args=[case.pk])
    # too young: refused with the rule, nothing written
    young = idcard.make("310230", add_months(today, -17 * 12), 3, True)  # (29 February: the 28th)
    response = admin_a1.post(
        reverse("pipeline:create"),
        {"org": tree.a1.pk, "name": "未成年", "id_number": young, "applied_on": today.isoformat()},
    )
    assert response.status_code == 400 and "DEV-01" in response.content.decode()
    assert not DevelopmentCase.objects.filter(name="未成年").exists()
    # a branch outside the scope is not offered
    response = admin_a1.post(
        reverse("pipeline:create"),
        {"org": tree.a2.pk, "name": "越权", "id_number": pid(6), "applied_on": today.isoformat()},
    )
    assert response.status_code == 400 and not DevelopmentCase.objects.filter(name="越权").exists()


def test_record_step_through_the_page_and_refusal_with_rule(admin_a1, tree, make_member, today):
    formal = [make_member(tree.a1, name=n) for n in ("联系人一", "介绍人二", "介绍人三")]
    applied = today - dt.timedelta(days=500)
    case = open_case(actor=None, org=tree.a1, name="页面申请", id_number=pid(7), applied_on=applied)
    url = reverse("pipeline:detail", args=[case.pk])
    page = admin_a1.get(url).content.decode()
    assert 'value="talk"' in page  # the only main step offered
    response = admin_a1.post(url, {"step": "talk", "date": (applied + dt.timedelta(days=10)).isoformat()})
    assert response.status_code == 302
    dates = plan(applied)
    response = admin_a1.post(
        url, {"step": "activist", "date": dates["activist"].isoformat(), "contacts": [formal[0].pk]}
    )
    assert response.status_code == 302
    assert list(case.steps.get(key="activist").contacts.all()) == [formal[0]]
    # a step not offered now is not recorded
    response = admin_a1.post(url, {"step": "candidate", "date": today.isoformat()})
    assert response.status_code == 302 and not case.steps.filter(key="candidate").exists()
    advance(case, "opinions", {k: v for k, v in dates.items() if k in ("assessment", "opinions")})
    too_early = dates["activist"] + dt.timedelta(days=200)
    response = admin_a1.post(url, {"step": "candidate", "date": too_early.isoformat()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "（DEV-07）" in html and "最早可于" in html
    # the refusal is shown once, in the box above the form (not again under 日期)
    refusal = response.context["form"].non_field_errors()
    assert len(refusal) == 1 and "（DEV-07）" in refusal[0]
    assert html.count(escape(refusal[0])) == 1
    assert not response.context["form"]["date"].errors
    assert f'data-testid="step-error"><div>{escape(refusal[0])}</div>' in html
    assert not case.steps.filter(key="candidate").exists()


def test_other_branch_case_is_404(client, users, tree, today):
    (case,) = make_cases(tree.a1, 1, today)
    client.force_login(users["branch_a2"])
    assert client.get(reverse("pipeline:detail", args=[case.pk])).status_code == 404
    assert (
        client.post(
            reverse("pipeline:detail", args=[case.pk]), {"step": "talk", "date": today.isoformat()}
        ).status_code
        == 404
    )
    assert not case.steps.filter(key="talk").exists()
    client.force_login(users["member_a1"])
    assert client.get(reverse("pipeline:index")).status_code == 403
