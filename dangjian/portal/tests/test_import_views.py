"""Web import pages: templates, upload → preview → confirm, and who may use them."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from dangjian.core import idcard
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.portal import import_views as views

LOGIN = reverse("login")
MEMBER_HEADERS = [
    "姓名",
    "身份证号",
    "民族",
    "学历",
    "手机号码",
    "人员类别",
    "入党日期",
    "转正日期",
    "所在组织编码",
    "党内职务",
    "任职日期",
    "工作状态",
    "是否领导干部",
    "工作岗位",
    "流动党员",
]
ORG_HEADERS = [
    "组织编码",
    "组织名称",
    "组织类型",
    "上级组织编码",
    "所在单位",
    "成立日期",
    "本届开始日期",
    "任期年限",
    "离退休党支部",
    "撤销日期",
    "组织设置批准文号",
    "组织设置批准日期",
]
POST_HEADERS = ["身份证号", "组织编码", "党内职务", "任职日期", "离任日期"]

ID_1 = idcard.make("310104", dt.date(1980, 3, 5), 101, True)
ID_2 = idcard.make("310104", dt.date(1982, 8, 9), 202, False)


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    """Uploads go to a per-test VAR_DIR."""
    settings.VAR_DIR = tmp_path
    return tmp_path


def stored_uploads(var_dir) -> list:
    folder = var_dir / "imports"
    return sorted(folder.glob("*")) if folder.exists() else []


def xlsx_upload(rows: list[list], name: str = "党员.xlsx") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def member_rows(*rows: tuple[str, str, str]) -> list[list]:
    """(姓名, 身份证号, 所在组织编码) rows of 正式党员 with the other required columns filled."""
    header = ["姓名", "身份证号", "人员类别", "入党日期", "转正日期", "所在组织编码"]
    return [header] + [
        [name, number, "正式党员", "2010-07-01", "2011-07-01", org] for name, number, org in rows
    ]


def upload(client, kind: str, rows: list[list], name: str = "党员.xlsx"):
    return client.post(reverse("portal:import_upload", args=[kind]), {"file": xlsx_upload(rows, name)})


def pending_token(client, kind: str = "members") -> str | None:
    return (client.session.get(views.SESSION_KEY, {}).get(kind) or {}).get("token")


# --- who may use the pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("portal:import_index", [], "get"),
        ("portal:import_template", ["members"], "get"),
        ("portal:import_upload", ["members"], "post"),
        ("portal:import_commit", ["members"], "post"),
    ],
)
def test_anonymous_is_sent_to_login(client, name, args, method):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("portal:import_index", [], "get"),
        ("portal:import_template", ["orgs"], "get"),
        ("portal:import_upload", ["members"], "post"),
        ("portal:import_commit", ["members"], "post"),
    ],
)
def test_member_role_is_refused(client, users, name, args, method):
    client.force_login(users["member_a1"])
    data = (
        {"file": xlsx_upload(member_rows(("新人", ID_1, "A1")))} if name == "portal:import_upload" else None
    )
    response = getattr(client, method)(reverse(name, args=args), data=data)
    assert response.status_code == 403
    assert not Member.objects.filter(name="新人").exists()


def test_unknown_kind_is_404(client, users):
    client.force_login(users["gongwei"])
    assert client.get(reverse("portal:import_template", args=["dues"])).status_code == 404
    assert client.post(reverse("portal:import_upload", args=["dues"])).status_code == 404
    assert client.post(reverse("portal:import_commit", args=["dues"])).status_code == 404


def test_get_on_upload_goes_back_to_the_index(client, users):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("portal:import_upload", args=["members"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:import_index")


# --- index and templates ----------------------------------------------------------------------------------


def test_index_has_a_card_per_kind(client, users):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("portal:import_index"))
    html = response.content.decode()
    assert response.status_code == 200
    for kind, label in (("orgs", "组织"), ("members", "党员"), ("posts", "党内职务")):
        assert f'data-testid="import-{kind}"' in html
        assert f'<h2 class="dj-section-title">{label}</h2>' in html
        assert reverse("portal:import_template", args=[kind]) in html
        assert f'action="{reverse("portal:import_upload", args=[kind])}"' in html
    assert "所在组织编码" in html
    assert "离任日期" in html


@pytest.mark.parametrize(
    ("kind", "filename", "headers"),
    [
        ("orgs", "组织导入模板.xlsx", ORG_HEADERS),
        ("members", "党员导入模板.xlsx", MEMBER_HEADERS),
        ("posts", "党内职务导入模板.xlsx", POST_HEADERS),
    ],
)
def test_template_download_is_an_xlsx_with_the_headers(client, users, kind, filename, headers):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("portal:import_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == views.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(filename)}"
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers
    assert len(rows) == 2  # headers plus one example row


# --- upload and preview ---------------------------------------------------------------------------------


def test_upload_with_an_error_lists_it_and_writes_nothing(client, users, isolated):
    client.force_login(users["branch_a1"])
    bad = ID_2[:-1] + ("0" if ID_2[-1] != "0" else "1")
    events = AuditEvent.objects.count()
    response = upload(client, "members", member_rows(("新人甲", ID_1, "A1"), ("新人乙", bad, "A1")))
    assert response.status_code == 200
    html = response.content.decode()
    assert "第 3 行 身份证号：身份证号校验码错误。" in html
    assert 'data-testid="commit"' not in html
    assert bad not in html
    assert not Member.objects.filter(name__startswith="新人").exists()
    assert AuditEvent.objects.count() == events + 1  # the refused preview, nothing else
    assert AuditEvent.objects.filter(action="import_failed").count() == 1
    assert pending_token(client) is None
    assert stored_uploads(isolated) == []


def test_upload_outside_scope_is_a_row_error(client, users, isolated):
    client.force_login(users["branch_a2"])
    response = upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    html = response.content.decode()
    assert "第 2 行 所在组织编码：" in html
    assert 'data-testid="commit"' not in html
    assert not Member.objects.filter(name="新人甲").exists()
    assert stored_uploads(isolated) == []


def test_valid_upload_previews_then_commits(client, users, tree, isolated):
    client.force_login(users["branch_a1"])
    response = upload(client, "members", member_rows(("新人甲", ID_1, "A1"), ("新人乙", ID_2, "A1G1")))
    assert response.status_code == 200
    html = response.content.decode()
    result = response.context["result"]
    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 0, 0, [])
    assert [(p["row"], p["action"]) for p in response.context["planned"]] == [(2, "create"), (3, "create")]
    assert 'data-testid="commit"' in html
    assert ID_1 not in html
    assert f"{ID_1[:6]}********{ID_1[-4:]}" in html
    assert not Member.objects.filter(name__startswith="新人").exists()
    assert not AuditEvent.objects.filter(action="import").exists()
    token = pending_token(client)
    assert [p.name for p in stored_uploads(isolated)] == [f"{token}.xlsx"]

    response = client.post(reverse("portal:import_commit", args=["members"]), {"token": token})
    assert response.status_code == 200
    assert response.context["committed"] is True
    assert "已导入党员：新增 2，更新 0，未变 0。" in response.content.decode()
    assert sorted(Member.objects.filter(name__startswith="新人").values_list("name", "org__code")) == [
        ("新人乙", "A1G1"),
        ("新人甲", "A1"),
    ]
    event = AuditEvent.objects.get(action="import")
    assert (event.actor, event.object_repr) == (users["branch_a1"], "导入党员：党员.xlsx")
    assert stored_uploads(isolated) == []
    assert pending_token(client) is None


def test_reimporting_the_same_file_changes_nothing(client, users):
    client.force_login(users["branch_a1"])
    rows = member_rows(("新人甲", ID_1, "A1"))
    upload(client, "members", rows)
    client.post(reverse("portal:import_commit", args=["members"]), {"token": pending_token(client)})
    response = upload(client, "members", rows)
    result = response.context["result"]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_commit_without_a_preview_is_refused(client, users, tree):
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("portal:import_commit", args=["members"]), {"token": "0" * 32}, follow=True
    )
    assert response.redirect_chain == [(reverse("portal:import_index"), 302)]
    assert "没有待确认的导入（或预览已过期），请重新上传文件并预览。" in response.content.decode()
    assert not AuditEvent.objects.filter(action="import").exists()


def test_commit_with_another_token_is_refused(client, users, isolated):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    response = client.post(reverse("portal:import_commit", args=["members"]), {"token": "../../secret_key"})
    assert response.status_code == 302
    assert not Member.objects.filter(name="新人甲").exists()
    assert len(stored_uploads(isolated)) == 1  # the preview is still there to confirm


def test_commit_is_for_the_kind_previewed(client, users):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    token = pending_token(client)
    response = client.post(reverse("portal:import_commit", args=["posts"]), {"token": token})
    assert response.status_code == 302
    assert not Member.objects.filter(name="新人甲").exists()


def test_a_preview_is_confirmed_once(client, users):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    token = pending_token(client)
    assert client.post(reverse("portal:import_commit", args=["members"]), {"token": token}).status_code == 200
    second = client.post(reverse("portal:import_commit", args=["members"]), {"token": token})
    assert second.status_code == 302
    assert Member.objects.filter(name="新人甲").count() == 1
    assert AuditEvent.objects.filter(action="import").count() == 1


def test_a_new_preview_replaces_the_previous_one(client, users, isolated):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    first = pending_token(client)
    upload(client, "members", member_rows(("新人乙", ID_2, "A1")))
    second = pending_token(client)
    assert first != second
    assert [p.name for p in stored_uploads(isolated)] == [f"{second}.xlsx"]
    assert client.post(reverse("portal:import_commit", args=["members"]), {"token": first}).status_code == 302
    assert not Member.objects.filter(name__startswith="新人").exists()


def test_data_changed_since_preview_shows_errors_and_writes_nothing(
    client, users, tree, make_member, isolated
):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1"), ("新人乙", ID_2, "A1")))
    token = pending_token(client)
    make_member(tree.b1, name="乙一先到", id_number=ID_2)  # registered elsewhere meanwhile
    response = client.post(reverse("portal:import_commit", args=["members"]), {"token": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert "导入未执行" in html
    assert "第 3 行 身份证号：" in html
    assert not Member.objects.filter(name__startswith="新人").exists()
    assert not AuditEvent.objects.filter(action="import").exists()
    assert stored_uploads(isolated) == []


def test_org_import_previews_then_commits(client, users, tree):
    client.force_login(users["dangwei_a"])
    rows = [
        ["组织编码", "组织名称", "组织类型", "上级组织编码"],
        ["A3G1", "甲三第一党小组", "党小组", "A3"],
        ["A3", "甲三支部", "党支部", "A"],
    ]
    preview = upload(client, "orgs", rows, name="组织.xlsx")
    assert preview.context["result"].created == 2
    client.post(reverse("portal:import_commit", args=["orgs"]), {"token": pending_token(client, "orgs")})
    assert Org.objects.get(code="A3G1").parent == Org.objects.get(code="A3")


# --- refused files ---------------------------------------------------------------------------------------


def test_non_xlsx_file_is_refused(client, users, isolated):
    client.force_login(users["branch_a1"])
    csv = io.BytesIO("姓名,身份证号\n".encode())
    csv.name = "党员.csv"
    response = client.post(reverse("portal:import_upload", args=["members"]), {"file": csv})
    assert response.status_code == 400
    assert "只能导入 .xlsx 格式的 Excel 文件（旧版 .xls 请先另存为 .xlsx）。" in response.content.decode()
    assert stored_uploads(isolated) == []


def test_garbage_named_xlsx_is_refused(client, users, isolated):
    client.force_login(users["branch_a1"])
    junk = io.BytesIO(b"not a workbook at all")
    junk.name = "党员.xlsx"
    response = client.post(reverse("portal:import_upload", args=["members"]), {"file": junk})
    assert response.status_code == 400
    assert "文件内容不是有效的 .xlsx 工作簿" in response.content.decode()


def test_damaged_xlsx_is_refused_with_the_engines_message(client, users, isolated):
    client.force_login(users["branch_a1"])
    junk = io.BytesIO(b"PK\x03\x04" + b"\x00" * 200)
    junk.name = "党员.xlsx"
    response = client.post(reverse("portal:import_upload", args=["members"]), {"file": junk})
    assert response.status_code == 400
    assert "不是有效的 Excel（.xlsx）文件" in response.content.decode()
    assert stored_uploads(isolated) == []


def test_missing_file_is_refused(client, users):
    client.force_login(users["branch_a1"])
    response = client.post(reverse("portal:import_upload", args=["members"]))
    assert response.status_code == 400
    assert "请选择要导入的 Excel 文件。" in response.content.decode()


def test_oversized_upload_is_refused_unread(client, users, monkeypatch, isolated):
    monkeypatch.setattr(views, "MAX_UPLOAD_BYTES", 1024 * 1024)
    client.force_login(users["branch_a1"])
    big = io.BytesIO(b"PK\x03\x04" + b"\x00" * (1024 * 1024 + 100 * 1024))
    big.name = "党员.xlsx"
    response = client.post(reverse("portal:import_upload", args=["members"]), {"file": big})
    assert response.status_code == 400
    assert "文件超过 1 MB，请拆分成几个文件分别导入。" in response.content.decode()
    assert stored_uploads(isolated) == []


def test_slightly_oversized_upload_is_refused_by_the_form(client, users, monkeypatch, isolated):
    monkeypatch.setattr(views, "MAX_UPLOAD_BYTES", 1024 * 1024)
    client.force_login(users["branch_a1"])
    big = io.BytesIO(b"PK\x03\x04" + b"\x00" * (1024 * 1024 + 10))
    big.name = "党员.xlsx"
    response = client.post(reverse("portal:import_upload", args=["members"]), {"file": big})
    assert response.status_code == 400
    assert "文件超过 1 MB，请拆分成几个文件分别导入。" in response.content.decode()


def test_upload_requires_a_csrf_token(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("portal:import_upload", args=["members"]),
        {"file": xlsx_upload(member_rows(("新人甲", ID_1, "A1")))},
    )
    assert response.status_code == 403
    assert pending_token(client) is None
