"""The higher organisation's approval of an organisation's form (组织设置批准文号/日期, ORG-SHAPE-BY-SIZE): recorded
through the organisation service (scope, audit), on the edit form and the detail page, and in the import."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.imports import RowError, run_import
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.orgs.models import Org
from dangjian.orgs.services import update_org

APPROVAL = {"setup_approval_ref": "甲委党发〔2026〕7号", "setup_approved_on": dt.date(2026, 3, 2)}


def edit_data(org, **extra):
    return {
        "code": org.code,
        "name": org.name,
        "type": org.type,
        "parent": org.parent_id,
        "unit": org.unit,
        "founded_on": "2018-03-01",
        **extra,
    }


def test_the_branch_does_not_record_the_approval_of_its_own_form(client, users, tree):
    """The approval is the higher organisation's (上级党组织批准): recorded by its admins, not by the branch."""
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        update_org(actor=users["branch_a1"], org=tree.a1, data=APPROVAL)
    assert refused.value.field == "setup_approval_ref"
    assert (
        refused.value.message
        == "上级批准应由上级党组织的管理员登记：甲一支部的上级党组织不在您的管理范围内，未登记。"
    )
    tree.a1.refresh_from_db()
    assert (tree.a1.setup_approval_ref, AuditEvent.objects.count()) == ("", events)
    # its edit form shows the fields read-only, saying who records them; posting them changes nothing
    client.force_login(users["branch_a1"])
    page = client.get(reverse("orgs:edit", args=[tree.a1.pk])).content.decode()
    assert "组织设置的批准由上级党组织的管理员登记。" in page
    response = client.post(
        reverse("orgs:edit", args=[tree.a1.pk]),
        edit_data(
            tree.a1,
            setup_approval_ref="甲委党发〔2026〕7号",
            setup_approved_on="2026-03-02",
            name="甲一支部改",
        ),
    )
    assert response.status_code == 302
    tree.a1.refresh_from_db()
    assert (tree.a1.name, tree.a1.setup_approval_ref) == ("甲一支部改", "")


def test_recording_the_approval_is_audited_with_the_orgs_path(tree, users):
    update_org(actor=users["dangwei_a"], org=tree.a1, data=APPROVAL)
    tree.a1.refresh_from_db()
    assert (tree.a1.setup_approval_ref, tree.a1.setup_approved_on) == (
        "甲委党发〔2026〕7号",
        dt.date(2026, 3, 2),
    )
    event = AuditEvent.objects.filter(object_type="orgs.org", action="update").latest("pk")
    assert event.org_path == tree.a1.path
    assert (event.before["setup_approval_ref"], event.after["setup_approval_ref"]) == (
        "",
        "甲委党发〔2026〕7号",
    )
    assert event.after["setup_approved_on"] == "2026-03-02"


def test_a_sibling_admin_cannot_record_it_and_nothing_changes(tree, users):
    events = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        update_org(actor=users["branch_a2"], org=tree.a1, data=APPROVAL)
    tree.a1.refresh_from_db()
    assert (tree.a1.setup_approval_ref, tree.a1.setup_approved_on, AuditEvent.objects.count()) == (
        "",
        None,
        events,
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"setup_approval_ref": "文号"}, "setup_approved_on"),
        ({"setup_approved_on": dt.date(2026, 3, 2)}, "setup_approval_ref"),
    ],
)
def test_reference_and_date_go_together(tree, data, field):
    with pytest.raises(ServiceError) as exc:
        update_org(actor=None, org=tree.a1, data=data)
    assert exc.value.errors == {field: ["组织设置的批准文号和批准日期应同时填写。"]}


def test_the_edit_form_records_it_and_the_detail_page_shows_it(client, users, tree):
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("orgs:edit", args=[tree.a1.pk])).content.decode()
    assert 'name="setup_approval_ref"' in page and 'name="setup_approved_on"' in page
    response = client.post(
        reverse("orgs:edit", args=[tree.a1.pk]),
        edit_data(tree.a1, setup_approval_ref="甲委党发〔2026〕7号", setup_approved_on="2026-03-02"),
    )
    assert response.status_code == 302
    detail = client.get(reverse("orgs:detail", args=[tree.a1.pk])).content.decode()
    assert "甲委党发〔2026〕7号（2026-03-02批准）" in detail
    # a date without the reference is refused on the form, and nothing changes
    response = client.post(
        reverse("orgs:edit", args=[tree.a2.pk]), edit_data(tree.a2, setup_approved_on="2026-03-02")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["setup_approval_ref"] == [
        "组织设置的批准文号和批准日期应同时填写。"
    ]
    assert Org.objects.get(pk=tree.a2.pk).setup_approved_on is None


def test_detail_page_without_an_approval_shows_no_row(client, users, tree):
    client.force_login(users["dangwei_a"])
    assert (
        'data-testid="setup-approval"'
        not in client.get(reverse("orgs:detail", args=[tree.a1.pk])).content.decode()
    )


def org_row(code, name, type_, parent, **extra):
    return {"组织编码": code, "组织名称": name, "组织类型": type_, "上级组织编码": parent, **extra}


def test_import_columns_record_the_approval_and_reimport_is_unchanged(tree, tmp_path):
    row = org_row("B1", "乙一支部", "党支部", "B-ZZ", 所在单位="乙委", 成立日期="2018-03-01")
    approved = {**row, "组织设置批准文号": "乙委党发〔2026〕2号", "组织设置批准日期": "2026-04-01"}
    result = run_import("orgs", write_xlsx(tmp_path / "a.xlsx", [approved]), actor=None, dry_run=False)
    assert result.to_json() == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    b1 = Org.objects.get(code="B1")
    assert (b1.setup_approval_ref, b1.setup_approved_on) == ("乙委党发〔2026〕2号", dt.date(2026, 4, 1))
    again = run_import("orgs", write_xlsx(tmp_path / "b.xlsx", [approved]), actor=None, dry_run=False)
    assert again.to_json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}
    # a sheet without the columns leaves the approval as it is
    plain = run_import("orgs", write_xlsx(tmp_path / "c.xlsx", [row]), actor=None, dry_run=False)
    assert plain.to_json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}
    half = {**row, "组织设置批准文号": "", "组织设置批准日期": "2026-05-01"}
    result = run_import("orgs", write_xlsx(tmp_path / "d.xlsx", [half]), actor=None, dry_run=False)
    assert result.errors == [RowError(2, "组织设置批准文号", "组织设置的批准文号和批准日期应同时填写。")]
    assert Org.objects.get(code="B1").setup_approved_on == dt.date(2026, 4, 1)
