"""A 组织委员 (支部管理员 of 甲一) takes an applicant from application to 预备党员 through the pages, is refused a step
recorded too early (and sees the rule), finds the new 预备党员 in the member list, and sees every step on the
member's timeline (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.core import idcard
from dangjian.core.dates import add_months
from dangjian.members.models import Member
from dangjian.orgs.services import create_post
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.tests.helpers import plan
from dangjian.pipeline.workflow import load_workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_organisation_committee_member_takes_an_applicant_to_probationary_member(
    live_server, browser_page, users, tree, make_member, make_user, login
):
    zuzhi = make_member(tree.a1, name="组织委员甲")
    create_post(
        actor=None,
        data={"member": zuzhi, "org": tree.a1, "title": "zuzhi", "started_on": dt.date(2020, 1, 1)},
    )
    make_user("zuzhi_a1", "branch_admin", tree.a1, member=zuzhi)
    contact = make_member(tree.a1, name="联系人王")
    sponsors = [make_member(tree.a1, name="介绍人陈"), make_member(tree.a1, name="介绍人刘")]
    applied = dt.date.today() - dt.timedelta(days=600)
    dates = plan(applied)
    number = idcard.make("310230", dt.date(1998, 8, 8), 41, True)

    page = browser_page
    base = live_server.url
    login("zuzhi_a1")
    page.get_by_role("link", name="发展党员", exact=True).click()
    page.wait_for_url(re.compile(r"/pipeline/"))
    page.locator("[data-testid=new-case]").click()
    page.get_by_label("姓名").fill("赵申请")
    page.get_by_label("身份证号").fill(number)
    page.get_by_label("递交入党申请书日期").fill(applied.isoformat())
    page.locator("[data-testid=save]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=case-stage]").inner_text() == "入党申请人"
    case_url = page.url

    def record(key, day, fill=None):
        page.goto(case_url)
        page.locator(f"[data-testid=next-steps] a[data-step={key}]").click()
        form = page.locator("[data-testid=step-form]")
        form.locator("[name=date]").fill(day.isoformat())
        if fill:
            fill(form)
        form.locator("[data-testid=record]").click()

    def ok(key, day, fill=None):
        record(key, day, fill)
        page.wait_for_selector(".alert-success")
        assert page.locator(f"[data-testid=steps] [data-step={key}]").count() >= 1

    ok("talk", dates["talk"])
    ok("activist", dates["activist"], lambda f: f.get_by_label("联系人王").check())
    assert page.locator("[data-testid=case-stage]").inner_text() == "入党积极分子"
    ok("assessment", dates["assessment"])
    ok("opinions", dates["opinions"])

    # Too early: 发展对象 less than a year after 积极分子 is refused, citing DEV-07 and the first possible day.
    record("candidate", dates["assessment"])
    error = page.locator("[data-testid=step-error]")
    error.wait_for()
    first_day = add_months(dates["activist"], 12)
    assert "（DEV-07）" in error.inner_text() and first_day.isoformat() in error.inner_text()
    assert page.locator("[data-testid=case-stage]").inner_text() == "入党积极分子"

    ok("candidate", dates["candidate"])
    assert page.locator("[data-testid=case-stage]").inner_text() == "发展对象"

    def two_sponsors(form):
        form.get_by_label("介绍人陈").check()
        form.get_by_label("介绍人刘").check()

    ok("sponsors", dates["sponsors"], two_sponsors)
    ok("political_review", dates["political_review"])
    ok("training", dates["training"], lambda f: f.get_by_label("培训天数").fill("3"))
    ok("committee_review", dates["committee_review"])
    ok("pre_review", dates["pre_review"])
    ok("application_form", dates["application_form"])

    def votes(form):
        form.get_by_label("应到会有表决权党员").fill("8")
        form.get_by_label("实到会有表决权党员").fill("7")
        form.get_by_label("赞成票（含未到会党员书面意见）").fill("7")

    ok("admission_vote", dates["admission_vote"], votes)
    assert page.locator("[data-testid=case-stage]").inner_text() == "预备党员"
    member = Member.objects.get(name="赵申请")
    assert member.category == "probationary" and member.joined_on == dates["admission_vote"]
    case = DevelopmentCase.objects.get(name="赵申请")
    assert case.member == member
    assert list(case.steps.get(key="activist").contacts.all()) == [contact]
    assert set(case.steps.get(key="sponsors").sponsors.all()) == set(sponsors)

    # The new 预备党员 is in the member list.
    page.get_by_role("link", name="党员", exact=True).click()
    page.wait_for_url(re.compile(r"/members/"))
    assert page.get_by_role("link", name="赵申请").count() >= 1

    # Their timeline shows every step recorded for them.
    page.goto(f"{base}/members/{member.pk}/timeline/")
    events = page.locator("[data-testid=timeline-event]")
    events.first.wait_for()
    text = " ".join(events.all_inner_texts())
    names = {s.key: s.name for s in load_workflow().steps}
    for key in ["application", *[k for k in dates if k in names and dates[k] <= dates["admission_vote"]]]:
        assert names[key] in text, names[key]
