"""述职评议 on the workbench: the 党委's open campaign at its state, the branch's report to upload; both gone once
done; two queries whatever the number of campaigns."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.appraisals import services
from dangjian.appraisals.workbench import open_appraisals

pytestmark = pytest.mark.django_db


def test_the_campaign_and_the_upload_are_on_the_work_lists(
    party, campaign, django_assert_max_num_queries, today
):
    with django_assert_max_num_queries(2):
        owner = open_appraisals(party.admin, None, today)
    titles = [i.title for i in owner]
    assert f"{campaign.title}：准备" in titles
    assert (
        "上传赵书记的述职报告" in titles and "上传钱书记的述职报告" in titles
    )  # the 党委 covers its branches
    branch = open_appraisals(party.a1, None, today)
    assert [i.title for i in branch] == ["上传赵书记的述职报告"]
    assert branch[0].link.url.endswith(f"/appraisals/subjects/{campaign.subjects.get(org=party.tree.a1).pk}/")
    assert open_appraisals(party.foreign, None, today) == []
    s = campaign.subjects.get(org=party.tree.a1)
    s = services.upload_report(actor=party.a1, subject=s, upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4"))
    assert open_appraisals(party.a1, None, today) == []
    s.report.delete(save=False)


def test_the_upload_stands_for_the_rules_item_of_its_branch_only(party, campaign, today):
    """The branch's 待办 says 上传赵书记的述职报告 once: the rule's own item (书记每年述职并接受评议 · 未上传述职报告)
    is the same work and is not listed beside it; a branch of no campaign keeps the rule's item."""
    from dangjian.compliance import kept
    from dangjian.orgs.models import Org
    from dangjian.portal.workbench import work_list

    kept.refresh(Org.objects.all(), on=today)
    items = work_list(party.a1, on=today).items
    mine = [i for i in items if i.org.id == party.tree.a1.pk and i.category == "appraisals"]
    assert [i.title for i in mine] == ["上传赵书记的述职报告"]
    assert not [i for i in items if i.rule_id == "EVAL-SHUZHI-ANNUAL" and i.org.id == party.tree.a1.pk]
    elsewhere = work_list(party.foreign, on=today).items  # 乙一, in no campaign: the rule's item stays
    assert [i.rule_id for i in elsewhere if i.category == "appraisals"] == ["EVAL-SHUZHI-ANNUAL"]
