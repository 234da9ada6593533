"""The movements pages: scope (outside → 404), the forms calling the services, and query counts."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.members.models import Member
from dangjian.movements import services
from dangjian.movements.models import LostContact, MobileContact, MobileStint, StatusChange, Transfer

D = dt.date


def login(client, user):
    client.force_login(user)
    return client


def test_pages_need_an_admin(client, users):
    login(client, users["member_a1"])
    assert client.get(reverse("movements:index")).status_code == 403
    assert client.get(reverse("movements:member", args=[users["own_member"].pk])).status_code == 403


def test_member_page_outside_scope_is_404(client, users, member):
    login(client, users["branch_a2"])
    for name in ("movements:member", "movements:status"):
        assert client.get(reverse(name, args=[member.pk])).status_code == 404
    response = client.post(
        reverse("movements:stint_start", args=[member.pk]), {"destination": "北京", "left_on": "2026-01-01"}
    )
    assert response.status_code == 404
    assert not MobileStint.objects.exists()
    login(client, users["branch_a1"])
    response = client.get(reverse("movements:member", args=[member.pk]))
    assert response.status_code == 200
    assert member.name in response.content.decode()


def test_the_lists_narrowed_to_an_organisation_outside_the_scope_are_404(client, users, tree, member):
    """?org= of an organisation the user does not administer (or not an id) is a 404, as on every list page, not the
    whole scope instead."""
    login(client, users["branch_a1"])
    for name in ("movements:index", "movements:summary"):
        assert client.get(reverse(name), {"org": tree.a1.pk}).status_code == 200
        assert client.get(reverse(name)).status_code == 200
        for wrong in (tree.a2.pk, tree.b.pk, "x", "²"):
            assert client.get(reverse(name), {"org": wrong}).status_code == 404, (name, wrong)


def test_stint_contact_return_and_lost_through_the_page(client, users, member):
    login(client, users["branch_a1"])
    url = reverse("movements:member", args=[member.pk])
    response = client.post(
        reverse("movements:stint_start", args=[member.pk]),
        {
            "destination": "法国巴黎",
            "abroad": "on",
            "abroad_purpose": "study",
            "fixed_place": "on",
            "left_on": "2026-01-05",
        },
    )
    assert response.status_code == 302 and response.url == url
    stint = MobileStint.objects.get()
    assert (stint.abroad, stint.fixed_place) == (True, True)
    member.refresh_from_db()
    assert member.is_mobile
    response = client.post(
        reverse("movements:contact", args=[stint.pk]), {"contacted_on": "2026-01-01", "way": "phone"}
    )
    assert response.status_code == 400
    assert "联系日期不能早于外出日期" in response.content.decode()
    assert not MobileContact.objects.exists()
    client.post(reverse("movements:contact", args=[stint.pk]), {"contacted_on": "2026-02-01", "way": "phone"})
    client.post(reverse("movements:stint_return", args=[stint.pk]), {"returned_on": "2026-03-01"})
    stint.refresh_from_db()
    assert stint.returned_on == D(2026, 3, 1) and MobileContact.objects.count() == 1
    client.post(reverse("movements:lost", args=[member.pk]), {"lost_on": "2026-04-01", "note": "停机"})
    lost = LostContact.objects.get()
    client.post(reverse("movements:regained", args=[lost.pk]), {"regained_on": "2026-05-01"})
    lost.refresh_from_db()
    assert lost.regained_on == D(2026, 5, 1)
    page = client.get(url).content.decode()
    assert "法国巴黎" in page and "2026-04-01" in page


def test_suggestion_links_to_a_prefilled_status_form_that_a_person_submits(client, users, member, today):
    services.record_lost_contact(actor=None, member=member, lost_on=today - dt.timedelta(days=400))
    login(client, users["branch_a1"])
    index = client.get(reverse("movements:index")).content.decode()
    status_url = reverse("movements:status", args=[member.pk])
    assert "建议支部研究是否停止其党籍" in index
    assert f"{status_url}?status=suspended" in index
    form = client.get(f"{status_url}?status=suspended&suggestion=consider_suspension")
    assert form.status_code == 200
    html = form.content.decode()
    assert '<option value="suspended" selected>' in html and "由系统建议预填" in html
    member.refresh_from_db()
    assert member.status == "normal"  # showing the suggestion changed nothing
    bad = client.post(
        status_url,
        {"status": "suspended", "effective_on": today.isoformat(), "decided_on": today.isoformat()},
    )
    assert bad.status_code == 400 and "请填写决定机关" in bad.content.decode()
    assert not StatusChange.objects.exists()
    response = client.post(
        status_url,
        {
            "status": "suspended",
            "effective_on": today.isoformat(),
            "decided_on": today.isoformat(),
            "decision_body": "甲一支部党员大会",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "suspended"


def test_transfer_started_accepted_by_the_receiver(client, users, tree, member, today):
    login(client, users["branch_a1"])
    page = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    assert "乙一支部" in page  # any 党支部/党小组 of the system may receive
    response = client.post(
        reverse("movements:transfer_start", args=[member.pk]),
        {"to_org": tree.a2.pk, "started_on": today.isoformat(), "reason": "工作调动"},
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    detail = reverse("movements:transfer", args=[transfer.pk])
    assert 'data-testid="accept-form"' not in client.get(detail).content.decode()  # the sender cannot accept

    login(client, users["branch_a2"])
    index = client.get(reverse("movements:index")).content.decode()
    assert detail in index  # awaiting my acceptance
    page = client.get(detail).content.decode()
    assert "党费交至" in page and "无缴纳记录" in page
    response = client.post(
        reverse("movements:accept", args=[transfer.pk]), {"accepted_on": today.isoformat()}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.org == tree.a2
    assert client.get(reverse("movements:member", args=[member.pk])).status_code == 200  # now in A2's scope

    login(client, users["gongwei"])
    assert client.get(detail).status_code == 200
    login(client, users["norole"])
    assert client.get(detail).status_code == 403


def test_transfer_outside_both_sides_is_404_and_return_needs_a_reason(client, users, tree, member, make_user):
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
    )
    login(client, make_user("branch_b1", "branch_admin", tree.b1))
    assert client.get(reverse("movements:transfer", args=[transfer.pk])).status_code == 404
    assert (
        client.post(
            reverse("movements:accept", args=[transfer.pk]), {"accepted_on": "2026-04-02"}
        ).status_code
        == 404
    )
    login(client, users["branch_a2"])
    response = client.post(
        reverse("movements:transfer_return", args=[transfer.pk]),
        {"returned_on": "2026-04-02", "return_reason": ""},
    )
    assert response.status_code == 400
    transfer.refresh_from_db()
    assert transfer.state == "pending"
    client.post(
        reverse("movements:transfer_return", args=[transfer.pk]),
        {"returned_on": "2026-04-02", "return_reason": "信息有误"},
    )
    transfer.refresh_from_db()
    assert transfer.state == "returned"


def test_transfer_out_and_in_pages(client, users, tree, member):
    from dangjian.conftest import unique_id_number

    login(client, users["branch_a1"])
    client.post(
        reverse("movements:transfer_out", args=[member.pk]),
        {"letter_no": "沪组转9号", "destination": "江苏某机关", "transferred_on": "2026-05-01"},
    )
    member.refresh_from_db()
    assert member.status == "transferred_out"
    response = client.post(
        reverse("movements:transfer_in"),
        {
            "letter_no": "苏组转3号",
            "origin": "江苏某机关工委",
            "transferred_on": "2026-05-02",
            "name": "孙转入",
            "id_number": unique_id_number(),
            "ethnicity": "汉族",
            "category": "formal",
            "joined_on": "2015-07-01",
            "confirmed_on": "2016-07-01",
            "org": tree.a1.pk,
            "work_status": "retired",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Member.objects.get(name="孙转入")
    assert (new.org, new.work_status) == (tree.a1, "retired")
    assert Transfer.objects.get(kind="in").letter_no == "苏组转3号"


def _add_branches(tree, make_member, first, last, today):
    from dangjian.orgs.services import create_org

    for i in range(first, last):
        branch = create_org(
            actor=None,
            data={
                "code": f"AX{i:02d}",
                "name": f"甲扩{i}支部",
                "type": "zhibu",
                "parent": tree.a,
                "unit": "甲委",
                "founded_on": D(2018, 3, 1),
            },
        )
        m = make_member(branch, name=f"扩员{i}")
        services.start_stint(
            actor=None,
            member=m,
            destination="西藏",
            abroad=True,
            abroad_purpose="work",
            left_on=today - dt.timedelta(days=400),
        )
        services.record_lost_contact(
            actor=None, member=make_member(branch, name=f"失联{i}"), lost_on=D(2025, 1, 1)
        )
        services.start_transfer(
            actor=None,
            member=make_member(branch, name=f"转{i}"),
            to_org=tree.a2,
            started_on=D(2026, 1, 1),
            reason="调动",
        )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_pages_cost_the_same_queries_for_2_and_many_branches(client, users, tree, make_member, today):
    login(client, users["dangwei_a"])
    urls = (reverse("movements:index"), reverse("movements:summary"))
    _add_branches(tree, make_member, 0, 2, today)
    small = [_count(client, u) for u in urls]
    _add_branches(tree, make_member, 2, 12, today)
    assert [_count(client, u) for u in urls] == small
    page = client.get(urls[0]).content.decode()
    assert page.count('data-suggestion="consider_suspension"') == 12
    assert page.count("扩员") == 12  # all abroad and overdue for a contact


def test_summary_filters_by_work_status(client, users, tree, make_member):
    make_member(tree.a1, name="在职甲")
    make_member(tree.a1, name="离休乙", work_status="retired")
    login(client, users["branch_a1"])
    html = client.get(reverse("movements:summary"), {"work_status": "retired"}).content.decode()
    row = html[html.index('data-org="A1"') :]
    assert '<td class="text-end dj-num" data-k="active">0</td>' in row[:600]
    assert '<td class="text-end dj-num" data-k="retired">1</td>' in row[:600]


def test_summary_over_a_range_too_wide_asks_for_a_narrower_one(client, users, tree, make_member, settings):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) neither the branches' counts nor the
    流动 and 失联 members are read: the page offers the organisations one level down, keeping the filter's other
    parameters; one of them chosen, the summary is as before."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    make_member(tree.a2, name="在职乙")
    login(client, users["gongwei"])
    response = client.get(reverse("movements:summary"), {"work_status": "active"})
    assert response.status_code == 200
    assert response.context["lines"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="summary"' not in html
    assert f'href="?work_status=active&amp;org={tree.a.pk}' in html and 'data-org="A1"' not in html
    assert 'data-testid="mobile"' not in html and "流动党员" not in html
    assert 'name="work_status"' in html  # the filter is kept
    response = client.get(reverse("movements:summary"), {"org": tree.a.pk})  # 甲委: two 党支部
    html = response.content.decode()
    assert response.context["wide"] is None and 'data-testid="wide-scope"' not in html
    assert 'data-org="A1"' in html and 'data-org="A2"' in html and "流动党员" in html
    login(client, users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(reverse("movements:summary"))
    assert response.context["wide"] is None and 'data-org="A1"' in response.content.decode()


def test_empty_pages_render(client, users):
    login(client, users["branch_a1"])
    for name in ("movements:index", "movements:summary", "movements:transfer_in"):
        response = client.get(reverse(name))
        assert response.status_code == 200
    assert "没有待接收的组织关系转接" in client.get(reverse("movements:index")).content.decode()
    nav = client.get(reverse("movements:index")).content.decode()
    assert f'href="{reverse("movements:index")}">党员管理</a>' in nav


def test_transfer_choices_name_the_unit_of_same_named_branches(client, users, tree, member, make_member):
    from dangjian.orgs.services import create_org

    def branch(code, name, parent, unit):
        data = {"code": code, "name": name, "type": "zhibu", "parent": parent, "founded_on": D(2018, 3, 1)}
        return create_org(actor=None, data={**data, "unit": unit})

    branch("B2", "甲二支部", tree.b, "乙委")  # the same name as A2, in another unit
    login(client, users["branch_a1"])
    url = reverse("movements:member", args=[member.pk])
    response = client.get(url)
    labels = [
        label
        for _group, options in response.context["transfer_form"].fields["to_org"].choices[1:]
        for _value, label in options
    ]
    assert "甲二支部（甲委）" in labels and "甲二支部（乙委）" in labels
    assert len(labels) == len(set(labels))
    html = response.content.decode()
    assert "甲二支部（甲委）" in html and "甲二支部（乙委）" in html
    # one query for the choices, whatever their number
    before = _count(client, url)
    for i in range(10):
        branch(f"C{i}", "办公室党支部", tree.b, f"单位{i}")
    assert _count(client, url) == before


def test_status_form_chooses_nothing_unless_opened_from_a_suggestion(client, users, member, today):
    login(client, users["branch_a1"])
    status_url = reverse("movements:status", args=[member.pk])
    response = client.get(status_url)
    form = response.context["form"]
    assert form.fields["status"].choices[0] == ("", "请选择")
    assert all(not form[name].value() for name in ("status", "effective_on", "decided_on", "decision_body"))
    html = response.content.decode()
    select = html[html.index('name="status"') : html.index("</select>")]
    assert select.count("selected") == 1 and '<option value="" selected>请选择</option>' in select
    assert "由系统建议预填" not in html
    # a bare ?status= (not a suggestion link) presets nothing either
    assert not client.get(f"{status_url}?status=suspended").context["form"]["status"].value()
    # from a suggestion link: the status, the dates and the 决定机关 are preset
    form = client.get(f"{status_url}?status=suspended&suggestion=consider_suspension").context["form"]
    assert form["status"].value() == "suspended"
    assert form["effective_on"].value() == today == form["decided_on"].value()
    assert form["decision_body"].value() == "甲一支部党员大会"


def test_status_post_without_a_status_is_refused_and_changes_nothing(client, users, member, today):
    login(client, users["branch_a1"])
    response = client.post(
        reverse("movements:status", args=[member.pk]),
        {
            "status": "",
            "effective_on": today.isoformat(),
            "decided_on": today.isoformat(),
            "decision_body": "甲一支部党员大会",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["status"]
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("normal", None)
    assert not StatusChange.objects.exists()


def test_as_of_filter_shows_today_by_default(client, users, tree, today):
    login(client, users["branch_a1"])
    for name in ("movements:index", "movements:summary"):
        for params in ({}, {"work_status": "retired"}):  # the bare page, and filtered without a date
            html = client.get(reverse(name), params).content.decode()
            assert f'name="as_of" value="{today.isoformat()}"' in html
        html = client.get(reverse(name), {"as_of": "2026-01-31"}).content.decode()
        assert 'name="as_of" value="2026-01-31"' in html


def test_summary_names_the_members_flagged_mobile_without_a_record(
    client, users, tree, make_member, member, today
):
    """The dashboard counts the 流动党员 flag, the summary the 外出 records: a member flagged (by an import) without
    a record is named under the 流动党员 list with a link to record it, and once recorded counts in the table."""
    flagged = make_member(tree.a1, name="标记流动甲", is_mobile=True)
    make_member(tree.a2, name="标记流动乙", is_mobile=True)  # outside the branch's scope
    login(client, users["branch_a1"])
    html = client.get(reverse("movements:summary")).content.decode()
    note = html[html.index('data-testid="unrecorded"') :]
    note = note[: note.index("</div>")]
    assert "另有 1 名党员" in note and f'href="{reverse("movements:member", args=[flagged.pk])}"' in note
    assert "标记流动乙" not in html
    row = html[html.index('data-org="A1"') :]
    assert '<td class="text-end dj-num" data-k="mobile">0</td>' in row[:600]
    services.start_stint(actor=users["branch_a1"], member=flagged, destination="援疆", left_on=today)
    html = client.get(reverse("movements:summary")).content.decode()
    assert 'data-testid="unrecorded"' not in html
    row = html[html.index('data-org="A1"') :]
    assert '<td class="text-end dj-num" data-k="mobile">1</td>' in row[:600]
