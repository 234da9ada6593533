"""An administrator's path through the dashboard, an Excel import with its preview, and the audit log,
in headless Chromium."""

import pytest

from dangjian.conftest import unique_id_number
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.members.models import Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_party_committee_admin_imports_members_with_a_preview_and_finds_it_in_the_audit_log(
    live_server, browser_page, users, tree, settings, tmp_path, login
):
    settings.VAR_DIR = tmp_path
    page = browser_page
    login("dangwei_a")

    # The dashboard draws its charts (ECharts renders into a canvas) from vendored scripts.
    page.wait_for_selector("main canvas")
    assert "您的管理范围" in page.locator("main").inner_text()

    new_id = unique_id_number()
    rows = [
        {
            "姓名": "导入党员",
            "身份证号": new_id,
            "人员类别": "正式党员",
            "入党日期": "2012-07-01",
            "转正日期": "2013-07-01",
            "所在组织编码": "A2",
            "工作状态": "在职",
        },
    ]
    path = write_xlsx(tmp_path / "党员.xlsx", rows)

    page.goto(f"{live_server.url}/imports/")
    card = page.locator("form[action$='/imports/members/']")
    card.locator("input[type=file]").set_input_files(str(path))
    card.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector("[data-testid=planned]")
    assert "导入党员" in page.locator("[data-testid=planned]").inner_text()
    assert not Member.objects.filter(name="导入党员").exists()  # a preview writes nothing

    page.locator("[data-testid=commit]").click()
    page.wait_for_load_state("networkidle")
    assert Member.objects.get(name="导入党员").org == tree.a2

    page.goto(f"{live_server.url}/audit/")
    log = page.locator("main").inner_text()
    assert "导入党员" in log and "数据导入" in log
    assert new_id not in page.content()
