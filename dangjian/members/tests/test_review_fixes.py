"""The fixes of the December 2026 user review (a 党委 组织委员 and a 支部管理员): the organisation page lists the
members on the roll, the edit form neither moves a member with a transfer pending nor edits 流动党员, the timeline
starts a member in an organisation when they came into it, the members file reports an organisation's type with
the row's other errors."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.members import figures
from dangjian.members.models import Member

D = dt.date


def _off_roll(member, status="transferred_out"):
    Member.objects.filter(pk=member.pk).update(status=status, inactive_from=D(2026, 11, 17))


# --- 1. the organisation page lists the members on the roll ------------------------------------------


def test_org_page_lists_the_members_on_the_roll_as_the_tree_counts_them(client, users, tree, make_member):
    make_member(tree.a1, name="在册甲")
    make_member(tree.a1g1, name="在册乙")
    gone = make_member(tree.a1, name="李峰博")
    _off_roll(gone)
    figures.refresh()
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("orgs:detail", args=[tree.a1.pk]))
    listed = [m.name for m in response.context["members"].object_list]
    assert "李峰博" not in listed and {"在册甲", "在册乙"} <= set(listed)
    tree_total = {n.org.code: n.total for n in client.get(reverse("orgs:tree")).context["nodes"]}["A1"]
    assert response.context["members"].paginator.count == tree_total == len(listed)
    page = response.content.decode()
    assert "另有 1 名党员已不在册" in page
    assert f"{reverse('members:list')}?org={tree.a1.pk}&amp;status=all" in page


def test_org_page_without_members_off_the_roll_shows_no_note(client, users, tree, make_member):
    make_member(tree.a2, name="在册丙")
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("orgs:detail", args=[tree.a2.pk])).content.decode()
    assert "在册丙" in page and "不在册" not in page


# --- 2. no organisation change by the edit form while a transfer is pending -------------------------


def _edit_data(member, **overrides) -> dict:
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": member.phone,
        "category": member.category,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat() if member.confirmed_on else "",
        "org": str(member.org_id),
        "work_status": member.work_status,
        "position": member.position,
    }
    data.update(overrides)
    return data


def test_the_organisation_does_not_change_while_a_transfer_is_pending(tree, make_member):
    import pytest

    from dangjian.core.errors import ServiceError
    from dangjian.members.services import update_member
    from dangjian.movements.services import accept_transfer, start_transfer

    member = make_member(tree.a1, name="待转")
    transfer = start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 11, 2), reason="调动"
    )
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=member, data={"org": tree.a1g1})
    assert "组织关系转接" in refused.value.message and "接收或退回" in refused.value.message
    assert refused.value.field == "org"
    assert Member.objects.get(pk=member.pk).org_id == tree.a1.pk
    update_member(actor=None, member=member, data={"position": "科长"})  # other changes go through
    accept_transfer(
        actor=None, transfer=transfer, accepted_on=D(2026, 11, 20)
    )  # the transfer still completes
    assert Member.objects.get(pk=member.pk).org_id == tree.a2.pk
    update_member(
        actor=None, member=member, data={"org": tree.a2}
    )  # nothing pending: a correction is possible


def test_the_edit_page_says_why_the_organisation_did_not_change(client, users, tree, make_member):
    from dangjian.movements.services import start_transfer

    member = make_member(tree.a1, name="待转页")
    start_transfer(actor=None, member=member, to_org=tree.a2, started_on=D(2026, 11, 2), reason="调动")
    client.force_login(users["dangwei_a"])
    url = reverse("members:edit", args=[member.pk])
    assert "用于更正登记错误" in client.get(url).content.decode()  # the help text: moves are transfers
    response = client.post(url, _edit_data(member, org=str(tree.a1g1.pk)))
    assert response.status_code == 200
    assert "请先在“党员管理”中由接收组织接收或退回，或由转出组织撤回该转接" in response.content.decode()
    assert Member.objects.get(pk=member.pk).org_id == tree.a1.pk


# --- 3. 流动党员 follows the 外出记录 -------------------------------------------------------------------


def test_the_member_form_does_not_edit_is_mobile(client, users, tree, make_member):
    member = make_member(tree.a1, name="外出人", is_mobile=True)
    client.force_login(users["dangwei_a"])
    url = reverse("members:edit", args=[member.pk])
    page = client.get(url).content.decode()
    assert 'name="is_mobile"' not in page
    assert reverse("movements:member", args=[member.pk]) in page and "登记返回" in page
    response = client.post(url, _edit_data(member, position="科员"))  # no is_mobile in the form: unticked
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).is_mobile is True
    client.post(url, _edit_data(member, is_mobile="on"))
    other = make_member(tree.a1, name="在家人")
    client.post(reverse("members:edit", args=[other.pk]), _edit_data(other, is_mobile="on"))
    assert Member.objects.get(pk=other.pk).is_mobile is False


def _member_row(member, **extra):
    return {
        "姓名": member.name,
        "身份证号": member.id_number,
        "人员类别": "正式党员",
        "入党日期": "2010-07-01",
        "转正日期": "2011-07-01",
        "所在组织编码": member.org.code,
        **extra,
    }


def test_the_members_file_does_not_change_a_registered_member_s_mobile_flag(tree, make_member, tmp_path):
    from dangjian.core.imports import run_import
    from dangjian.core.tests.xlsx_files import write_xlsx

    away = make_member(tree.a1, name="外出甲", is_mobile=True)
    home = make_member(tree.a1, name="在家乙")
    rows = [_member_row(away, 流动党员="否", 工作岗位="科员"), _member_row(home, 流动党员="是")]
    result = run_import("members", write_xlsx(tmp_path / "m.xlsx", rows), actor=None, dry_run=False)
    assert result.ok()
    assert (
        Member.objects.get(pk=away.pk).is_mobile is True and Member.objects.get(pk=away.pk).position == "科员"
    )
    assert Member.objects.get(pk=home.pk).is_mobile is False
    assert len(result.warnings) == 2
    assert (
        result.warnings[0].startswith("第 2 行 流动党员：外出甲仍为“是”") and "党员管理" in result.warnings[0]
    )
    # a new member's value is taken (a roll taken over says who is away)
    new = {"姓名": "新来丙", "身份证号": unique_id_number(), "人员类别": "正式党员", "入党日期": "2010-07-01"}
    new.update({"转正日期": "2011-07-01", "所在组织编码": "A1", "流动党员": "是"})
    assert run_import("members", write_xlsx(tmp_path / "n.xlsx", [new]), actor=None, dry_run=False).ok()
    assert Member.objects.get(name="新来丙").is_mobile is True


# --- 5. the members file reports an organisation's type with the row's other errors -------------------


def test_a_member_placed_in_a_committee_is_reported_with_the_row_s_other_errors(tree, tmp_path):
    from dangjian.core.imports import run_import
    from dangjian.core.tests.xlsx_files import write_xlsx

    row = {"姓名": "错行", "身份证号": unique_id_number(), "人员类别": "正式党员", "入党日期": "2010-07-01"}
    row.update({"转正日期": "2011-07-01", "所在组织编码": "A", "手机号码": "12ab"})
    result = run_import("members", write_xlsx(tmp_path / "m.xlsx", [row]), actor=None, dry_run=True)
    columns = {e.column: e.message for e in result.errors}
    assert "手机号码" in columns
    assert "党员只能编入党支部或党小组" in columns["所在组织编码"]


# --- 4. the timeline starts a member in an organisation when they came into it --------------------------


def _assembly(org, day, topic):
    from dangjian.meetings.services import create_meeting

    return create_meeting(
        actor=None, data={"org": org, "date": day, "topic": topic}, types=["assembly"], absentees={}
    )


def test_a_member_transferred_in_is_not_credited_with_the_branch_s_earlier_meetings(tree):
    from dangjian.members import timeline as tl
    from dangjian.movements.services import transfer_in

    data = {
        "name": "转入者",
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": D(2010, 7, 1),
        "confirmed_on": D(2011, 7, 1),
        "org": tree.a1,
        "work_status": "active",
    }
    member = transfer_in(
        actor=None, data=data, letter_no="沪组转字001", origin="某区委组织部", transferred_on=D(2026, 6, 1)
    ).member
    _assembly(tree.a1, D(2026, 3, 2), "转入前的大会")
    _assembly(tree.a1, D(2026, 9, 1), "转入后的大会")
    member = Member.objects.select_related("org").get(pk=member.pk)
    events = tl.timeline(member, on=D(2026, 12, 1))
    attended = [e.title for e in events if e.kind == "meetings.attended"]
    assert len(attended) == 1 and "转入后的大会" in " ".join(
        e.title + e.detail for e in events if e.date.month == 9
    )
    assert not [e for e in events if e.kind.startswith("meetings.") and e.date < D(2026, 6, 1)]
    joined = next(e for e in events if e.kind == "member.joined")
    assert "甲一支部" not in joined.detail and joined.org_code == ""
    assert "2026-06-01" in joined.detail and "某区委组织部" in joined.detail
    assert tl.org_spans(member, []) == [(tree.a1.pk, D(2026, 6, 1), None)]


def test_a_member_admitted_in_the_branch_joined_there(tree, make_member):
    from dangjian.members import timeline as tl

    member = make_member(tree.a1, name="本支部发展", joined_on=D(2015, 7, 1), confirmed_on=D(2016, 7, 1))
    member = Member.objects.select_related("org").get(pk=member.pk)
    joined = next(e for e in tl.member_events(member, D(2026, 12, 1)) if e.kind == "member.joined")
    assert joined.detail == "在甲一支部入党，成为预备党员" and joined.org_code == "A1"
    assert tl.org_spans(member, []) == [(tree.a1.pk, D(2015, 7, 1), None)]


# --- 6. 数据导入: a refused upload is said where the user looks; nothing to import offers no 确认导入 ----------


def _xlsx(rows):
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "空.xlsx"
    return buffer


def test_a_refused_upload_is_said_at_the_top_and_focuses_its_card(client, users, settings, tmp_path):
    import io

    settings.VAR_DIR = tmp_path
    client.force_login(users["dangwei_a"])
    csv = io.BytesIO("身份证号,组织编码\n".encode())
    csv.name = "职务.csv"
    response = client.post(reverse("portal:import_upload", args=["posts"]), {"file": csv})
    assert response.status_code == 400
    page = response.content.decode()
    top = page.index('data-testid="import-refused"')
    assert top < page.index('id="import-orgs"')  # above the first card
    assert "“党内职务”的文件未能预览" in page[top:] and 'href="#import-posts"' in page[top:]
    assert "只能导入 .xlsx 格式" in page[top : page.index('id="import-orgs"')]
    card = page[page.index('id="import-posts"') :]
    assert "autofocus" in card[: card.index("</form>")]
    assert "autofocus" not in page[: page.index('id="import-posts"')]


def test_every_import_card_has_a_description(client, users):
    from dangjian.core.imports import IMPORT_KINDS
    from dangjian.portal.import_views import DESCRIPTIONS

    assert set(IMPORT_KINDS) <= set(DESCRIPTIONS)
    client.force_login(users["dangwei_a"])
    cards = {c["kind"]: c for c in client.get(reverse("portal:import_index")).context["cards"]}
    assert str(cards["dev-cases"]["description"]).startswith("发展党员：")


def test_a_header_only_file_offers_no_confirmation(client, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(users["dangwei_a"])
    header = [["姓名", "身份证号", "人员类别", "入党日期", "转正日期", "所在组织编码"]]
    response = client.post(reverse("portal:import_upload", args=["members"]), {"file": _xlsx(header)})
    page = response.content.decode()
    assert "文件中没有数据行。" in page and 'data-testid="nothing-to-import"' in page
    assert 'data-testid="commit"' not in page
