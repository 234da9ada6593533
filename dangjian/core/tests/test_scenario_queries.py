"""Every page of the everyday scenario costs the same number of queries with N and with 3N organisations:
sign-in, the dashboard, the 党费 collection sheet and recording the month's payments, arrears, the meetings list
and recording a meeting with its roster, the branch's compliance page, the compliance overview and its
drill-downs, the organisation tree, member search, the exports (a large one's page and download too) and a
member's own pages. The organisations added between the two counts come with members, 党费 bases and payments,
meetings and kept results, so a read per organisation (or per member) shows as a difference."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.compliance import selectors as compliance_selectors
from dangjian.conftest import TEST_PASSWORD
from dangjian.core import exports
from dangjian.core.models import ExportJob
from dangjian.dues.models import DuesPayment
from dangjian.dues.services import declare_base, record_payment
from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org


def declare(today, member, base="6000.00"):
    declare_base(
        actor=None,
        member=member,
        year=today.year,
        category="active",
        monthly_base=Decimal(base),
        effective_month=dt.date(today.year, 1, 1),
    )


def grow(today, tree, make_member, start: int, units: int) -> None:
    """`units` more 党委 under the 工委, each with two 党支部 (the first with a 党小组): four organisations, and
    per 党支部 two members with bases, a payment of this month and a meeting."""
    for i in range(start, start + units):
        unit = f"丙{i}委"

        def org(code, name, type_, parent, unit=unit):
            return create_org(
                actor=None,
                data={
                    "code": code,
                    "name": name,
                    "type": type_,
                    "parent": parent,
                    "founded_on": dt.date(2018, 3, 1),
                    "unit": unit,
                },
            )

        committee = org(f"C{i}", f"丙{i}委机关党委", "dangwei", tree.gw)
        for j in range(2):
            branch = org(f"C{i}-{j}", f"丙{i}委第{j}支部", "zhibu", committee)
            if j == 0:
                org(f"C{i}-{j}G", f"丙{i}委第{j}支部第一党小组", "xiaozu", branch)
            members = [make_member(branch, name=f"丙{i}{j}党员{k}") for k in range(2)]
            for member in members:
                declare(today, member)
            record_payment(
                actor=None,
                member=members[0],
                months=f"{today:%Y-%m}",
                amount=Decimal("90.00"),
                paid_on=today,
                method="cash",
            )
            create_meeting(
                actor=None,
                data={
                    "org": branch,
                    "date": dt.date(today.year, 1, 1) + dt.timedelta(days=9),
                    "topic": "主题党日",
                },
                types=["theme_day"],
            )
    kept.refresh()  # the pages read the kept results (and the kept member figures), as after the nightly refresh


@pytest.fixture
def scenario(users, tree, make_member, today):
    """甲一支部 with members and bases (李党员 and four more), a meeting, and kept results."""
    declare(today, users["own_member"])
    people = [make_member(tree.a1, name=f"甲一党员{k}") for k in range(4)]
    for member in people:
        declare(today, member)
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(today.year, 1, 1) + dt.timedelta(days=9), "topic": "主题党日"},
        types=["theme_day"],
    )
    kept.refresh()
    return {**users, "people": people}


def count(client, method: str, url: str, data=None, expect=(200,), **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code in expect, (url, response.status_code)
    return len(ctx.captured_queries)


def pay_data(today, org, member) -> dict:
    return {
        "org": org.pk,
        "month": f"{today:%Y-%m}",
        f"p{member.pk}-pick": "on",
        f"p{member.pk}-amount": "90.00",
        f"p{member.pk}-method": "cash",
        f"p{member.pk}-paid_on": today.isoformat(),
    }


def meeting_data(org, day: dt.date) -> dict:
    return {
        "org": str(org.pk),
        "date": day.isoformat(),
        "types": ["assembly"],
        "topic": f"支部党员大会{day:%m%d}",
        "place": "会议室",
        "host": "",
        "lecturer": "",
        "lecturer_name": "",
        "observers": "",
        "agenda": "议题一",
        "content": "内容",
        "decisions": "决定",
    }


def measure(today, s, tree, round_: int) -> dict[str, int]:
    """The queries of every page of the scenario; `round_` (0, 1) picks who pays and the meeting's date, so the
    writes of both rounds succeed."""
    counts: dict[str, int] = {}
    anonymous = Client()
    counts["sign-in page"] = count(anonymous, "get", reverse("login"))
    counts["sign-in"] = count(
        anonymous,
        "post",
        reverse("login"),
        {"username": "dangwei_a", "password": TEST_PASSWORD},
        expect=(302,),
    )

    gongwei, dangwei, branch, member = Client(), Client(), Client(), Client()
    gongwei.force_login(s["gongwei"])
    dangwei.force_login(s["dangwei_a"])
    branch.force_login(s["branch_a1"])
    member.force_login(s["member_a1"])
    for label, client in (("gongwei", gongwei), ("dangwei", dangwei), ("branch", branch)):
        counts[f"home ({label})"] = count(client, "get", reverse("dashboard"))
        counts[f"meetings list ({label})"] = count(client, "get", reverse("meetings:list"))
        counts[f"org tree ({label})"] = count(client, "get", reverse("orgs:tree"))
        counts[f"member search ({label})"] = count(client, "get", reverse("members:list"), {"q": "党员"})
        counts[f"arrears ({label})"] = count(client, "get", reverse("dues:arrears"))
        counts[f"compliance overview ({label})"] = count(client, "get", reverse("compliance:overview"))
        counts[f"members export ({label})"] = count(client, "get", reverse("members:export"))
        counts[f"orgs export ({label})"] = count(client, "get", reverse("orgs:export"))
        counts[f"compliance export ({label})"] = count(
            client, "get", reverse("compliance:export"), {"year": str(today.year)}
        )
    with override_settings(EXPORT_BACKGROUND_ROWS=0):  # the city's roll: made by the task worker
        counts["members export, background (gongwei)"] = count(
            gongwei, "get", reverse("members:export"), expect=(302,)
        )
    job = ExportJob.objects.filter(user=s["gongwei"]).latest("created_at")
    assert exports.run_export.func(str(job.pk)) == "done"
    counts["export page"] = count(gongwei, "get", reverse("portal:export_job", args=[job.pk]))
    counts["export download"] = count(gongwei, "get", reverse("portal:export_download", args=[job.pk]))
    counts["org detail (dangwei)"] = count(dangwei, "get", reverse("orgs:detail", args=[tree.a.pk]))
    counts["compliance drill-down 党委"] = count(gongwei, "get", reverse("compliance:org", args=[tree.a.pk]))
    counts["compliance unit rows"] = count(
        gongwei, "get", reverse("compliance:rows"), {"unit": "甲委"}, HTTP_HX_REQUEST="true"
    )
    counts["branch compliance page"] = count(branch, "get", reverse("compliance:org", args=[tree.a1.pk]))
    counts["collection sheet"] = count(
        branch, "get", reverse("dues:sheet"), {"org": tree.a1.pk, "month": f"{today:%Y-%m}"}
    )
    counts["dues export"] = count(
        branch, "get", reverse("dues:export"), {"org": tree.a1.pk, "month": f"{today:%Y-%m}"}
    )

    payer = s["people"][round_]
    counts["record payments"] = count(
        branch, "post", reverse("dues:sheet"), pay_data(today, tree.a1, payer), expect=(302,)
    )
    assert DuesPayment.objects.filter(member=payer).exists()

    counts["meeting form with roster"] = count(
        branch, "get", reverse("meetings:create"), {"org": tree.a1.pk, "date": today.isoformat()}
    )
    day = dt.date(today.year, 1, 1) + dt.timedelta(days=20 + round_)
    counts["record a meeting"] = count(
        branch, "post", reverse("meetings:create"), meeting_data(tree.a1, day), expect=(302,)
    )
    assert Meeting.objects.filter(org=tree.a1, date=day).exists()

    own = s["own_member"]
    counts["own home"] = count(member, "get", reverse("dashboard"))
    counts["own record"] = count(member, "get", reverse("members:detail", args=[own.pk]))
    counts["own dues"] = count(member, "get", reverse("dues:mine"))
    return counts


def test_every_page_of_the_scenario_costs_the_same_queries_for_n_and_3n_organisations(
    client, scenario, tree, make_member, monkeypatch, settings, tmp_path, today
):
    settings.VAR_DIR = tmp_path  # the background export's file
    # the compliance overview lists the organisations of a small scope (up to INLINE_ORGS) and rolls a larger
    # one up per 单位 (one more query): both counts are taken in the roll-up, the city's case
    monkeypatch.setattr(compliance_selectors, "INLINE_ORGS", 10)
    grow(today, tree, make_member, 0, 3)
    n = Org.objects.count()
    before = measure(today, scenario, tree, 0)
    grow(today, tree, make_member, 3, (2 * n + 3) // 4)  # four organisations per unit: at least 3N in all
    assert Org.objects.count() >= 3 * n
    assert Member.objects.count() >= 3 * (4 * 3 + 5)
    after = measure(today, scenario, tree, 1)
    assert after == before
