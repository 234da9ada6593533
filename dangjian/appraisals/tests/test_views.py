"""The pages of 述职评议 through the test client: a 党委 runs a campaign, a branch uploads its secretary's report
(after downloading the draft), members vote, the results and the summary workbook; what each page hides."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from dangjian.appraisals.models import Campaign, Participation, Subject, Tally

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def ballot_post(c, member, choice="good") -> dict:
    return {f"r-{s.pk}-{i.pk}": choice for s in c.subjects.exclude(secretary=member) for i in c.items.all()}


def test_a_dangwei_runs_a_campaign_through_its_pages(party, today):
    admin = client_of(party.admin)
    assert "开展述职评议" in admin.get(reverse("appraisals:index")).content.decode()
    response = admin.post(
        reverse("appraisals:new"),
        {"owner": party.owner.pk, "year": today.year, "opened_on": today.isoformat()},
    )
    c = Campaign.objects.get(owner=party.owner, year=today.year)
    assert response.status_code == 302 and response["Location"] == reverse("appraisals:detail", args=[c.pk])
    page = admin.get(reverse("appraisals:subjects", args=[c.pk])).content.decode()
    assert "书记：赵书记" in page and "书记：钱书记" in page and "乙一支部" not in page
    tree = party.tree
    assert (
        admin.post(
            reverse("appraisals:subjects", args=[c.pk]), {"orgs": [tree.a1.pk, tree.a2.pk]}
        ).status_code
        == 302
    )
    assert c.subjects.count() == 2
    items = {"name-0": "综合评价", "weight-0": "2", "name-1": "履行管党治党责任", "weight-1": "1"}
    assert admin.post(reverse("appraisals:items", args=[c.pk]), items).status_code == 302
    assert list(c.items.values_list("name", flat=True)) == ["综合评价", "履行管党治党责任"]
    bad = admin.post(reverse("appraisals:items", args=[c.pk]), {"name-0": "综合评价", "weight-0": "-1"})
    assert bad.status_code == 400 and "权重应为大于0的数" in bad.content.decode()
    assert (
        admin.post(reverse("appraisals:participants", args=[c.pk]), {"roles": ["committee"]}).status_code
        == 302
    )
    for state in ("draft", "reporting"):
        admin.post(reverse("appraisals:advance", args=[c.pk]), {"state": state})
    c.refresh_from_db()
    assert c.state == "voting" and c.participants.count() == 6
    # a resent 进入下一阶段 (the page showed 述职) is refused: no state is skipped
    admin.post(reverse("appraisals:advance", args=[c.pk]), {"state": "reporting"})
    c.refresh_from_db()
    assert c.state == "voting"

    for m in party.people[:5]:
        member = client_of(party.accounts[m.pk])
        mine = member.get(reverse("appraisals:mine")).content.decode()
        assert "参加述职评议测评" in mine
        assert 'data-testid="my-appraisal-ballot"' in member.get(reverse("dashboard")).content.decode()
        page = member.get(reverse("appraisals:vote", args=[c.pk])).content.decode()
        rated = 1 if m in (party.zhao, party.qian) else 2
        assert page.count('class="btn-check"') == 4 * 2 * rated  # four ratings × two items × the others
        assert member.post(reverse("appraisals:vote", args=[c.pk]), ballot_post(c, m)).status_code == 302
        assert "go-vote" not in member.get(reverse("appraisals:mine")).content.decode()
        assert "my-appraisal-ballot" not in member.get(reverse("dashboard")).content.decode()
    detail = admin.get(reverse("appraisals:detail", args=[c.pk])).content.decode()
    assert "网上投票 5/6 人" in detail and "述职评议结束后才显示测评结果" in detail
    # before the closing the page names who has no 述职日期 or report, and closing needs the "仍然结束" box
    gaps = detail[detail.index('data-testid="closing-gaps"') :]
    assert "未登记述职日期：赵书记（甲一支部）、钱书记（甲二支部）" in gaps and 'name="confirm_gaps"' in gaps
    refused = admin.post(reverse("appraisals:advance", args=[c.pk]), {"state": "voting"}, follow=True)
    assert "请勾选“仍然结束”" in refused.content.decode()
    c.refresh_from_db()
    assert c.state == "voting"
    admin.post(reverse("appraisals:advance", args=[c.pk]), {"state": "voting", "confirm_gaps": "1"})
    detail = admin.get(reverse("appraisals:detail", args=[c.pk])).content.decode()
    assert 'data-testid="results"' in detail and "(2×100.00 + 1×100.00) ÷ 3 = 100.00" in detail
    book = load_workbook(io.BytesIO(admin.get(reverse("appraisals:summary_xlsx", args=[c.pk])).content))
    rows = list(book.active.iter_rows(values_only=True))
    a1 = next(r for r in rows if r[0] == "甲一支部")
    assert a1[1] == "赵书记" and a1[2] is None and a1[3:8] == (4, 0, 0, 0, 100) and a1[-2] == 100


def test_below_five_ballots_only_the_total(party, campaign):
    admin = client_of(party.admin)
    for state in ("draft", "reporting"):
        admin.post(reverse("appraisals:advance", args=[campaign.pk]), {"state": state})
    for m in party.people[:4]:
        client_of(party.accounts[m.pk]).post(
            reverse("appraisals:vote", args=[campaign.pk]), ballot_post(campaign, m)
        )
    admin.post(reverse("appraisals:advance", args=[campaign.pk]), {"state": "voting", "confirm_gaps": "1"})
    detail = admin.get(reverse("appraisals:detail", args=[campaign.pk])).content.decode()
    assert (
        "测评票共4张，少于5张，不显示每名书记的测评结果" in detail and 'data-testid="results"' not in detail
    )
    rows = list(
        load_workbook(
            io.BytesIO(admin.get(reverse("appraisals:summary_xlsx", args=[campaign.pk])).content)
        ).active.iter_rows(values_only=True)
    )
    a1 = next(r for r in rows if r[0] == "甲一支部")
    assert set(a1[3:8]) == {None}


def test_a_second_vote_is_refused_and_changes_nothing(party, campaign):
    from dangjian.appraisals.tests.conftest import to_voting

    c = to_voting(campaign, party.admin)
    m = party.people[2]
    member = client_of(party.accounts[m.pk])
    member.post(reverse("appraisals:vote", args=[c.pk]), ballot_post(c, m))
    counts = (Participation.objects.count(), sorted(Tally.objects.values_list("online", flat=True)))
    response = member.post(reverse("appraisals:vote", args=[c.pk]), ballot_post(c, m, "poor"), follow=True)
    assert "不能重复投票" in response.content.decode()
    assert (Participation.objects.count(), sorted(Tally.objects.values_list("online", flat=True))) == counts
    # an incomplete ballot is refused on the page, nothing counted
    other = party.people[3]
    page = client_of(party.accounts[other.pk]).post(reverse("appraisals:vote", args=[c.pk]), {})
    assert page.status_code == 400, page.content.decode()[-3000:]
    assert "请为赵书记的“综合评价”选择等次" in page.content.decode(), page.content.decode()


def test_the_branch_downloads_the_draft_and_uploads_the_final_report(party, campaign):
    s = Subject.objects.get(campaign=campaign, org=party.tree.a1)
    branch = client_of(party.a1)
    index = branch.get(reverse("appraisals:index")).content.decode()
    assert reverse("appraisals:subject", args=[s.pk]) in index  # under 本组织书记述职
    page = branch.get(reverse("appraisals:subject", args=[s.pk])).content.decode()
    draft = reverse("portal:report_docx", args=[party.tree.a1.pk]) + f"?year={campaign.report_year}"
    assert draft in page
    response = branch.get(draft)
    assert response.status_code == 200
    Document(io.BytesIO(response.content))  # a Word document
    wrong = branch.post(
        reverse("appraisals:subject", args=[s.pk]), {"report": SimpleUploadedFile("r.txt", b"x")}
    )
    assert wrong.status_code == 400 and "只能上传 Word（.docx）或 PDF 文件" in wrong.content.decode()
    final = SimpleUploadedFile("赵书记述职报告.docx", b"PK\x03\x04 final")
    assert branch.post(reverse("appraisals:subject", args=[s.pk]), {"report": final}).status_code == 302
    s.refresh_from_db()
    assert s.report_name == "赵书记述职报告.docx"
    # the owner reads it; the sibling branch cannot
    download = client_of(party.admin).get(reverse("appraisals:report", args=[s.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"PK\x03\x04 final"
    assert download["Cache-Control"] == "private, no-store"
    assert client_of(party.a2).get(reverse("appraisals:report", args=[s.pk])).status_code == 404
    s.report.delete(save=False)


def test_a_member_without_a_ballot_gets_404(party, campaign):
    from dangjian.appraisals.tests.conftest import to_voting

    c = to_voting(campaign, party.admin)
    assert (
        client_of(party.accounts[party.plain.pk]).get(reverse("appraisals:vote", args=[c.pk])).status_code
        == 404
    )
    assert client_of(party.admin).get(reverse("appraisals:vote", args=[c.pk])).status_code == 404


def test_the_pages_in_english_leave_no_chinese_but_the_data(party, campaign):
    """Every page of a closed campaign with results, in English: the Chinese left is data (names of organisations,
    people, the campaign and its item) or marked as Chinese (the language switch)."""
    import re

    from dangjian.appraisals import services
    from dangjian.appraisals.tests.conftest import ballot_of, to_voting
    from dangjian.orgs.models import Org

    c = to_voting(campaign, party.admin)
    for m in party.people[:5]:
        services.cast_vote(actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m))
    data = {c.title, "综合评价", "简体中文", *Org.objects.values_list("name", flat=True)}
    data |= {m.name for m in [*party.people, party.plain]}

    def chinese_left(client, url):
        html = client.get(url).content.decode()
        html = re.sub(r'<[^>]+lang="zh-hans"[^>]*>[^<]*<', "<", html)
        text = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
        runs = re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text)
        return sorted({r for r in runs if not any(r in d for d in data)})

    voter = client_of(party.accounts[party.people[5].pk])
    voter.cookies["django_language"] = "en"
    assert chinese_left(voter, reverse("appraisals:vote", args=[c.pk])) == []
    assert chinese_left(voter, reverse("appraisals:mine")) == []
    services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    admin = client_of(party.admin)
    admin.cookies["django_language"] = "en"
    s = c.subjects.first()
    for url in (
        reverse("appraisals:index"),
        reverse("appraisals:new"),
        reverse("appraisals:detail", args=[c.pk]),
        reverse("appraisals:subjects", args=[c.pk]),
        reverse("appraisals:items", args=[c.pk]),
        reverse("appraisals:participants", args=[c.pk]),
        reverse("appraisals:tallies", args=[c.pk]),
        reverse("appraisals:subject", args=[s.pk]),
    ):
        assert chinese_left(admin, url) == [], url


def test_the_list_of_raters_by_name_or_id_number(party, campaign, make_member):
    from dangjian.appraisals.models import CampaignParticipant

    admin = client_of(party.admin)
    url = reverse("appraisals:participants", args=[campaign.pk])
    from dangjian.conftest import unique_id_number

    number, unknown = unique_id_number(), unique_id_number()
    twin = make_member(party.tree.a2, name="郑党员", id_number=number)
    make_member(party.tree.b1, name="乙委党员")
    for text, error in (
        ("郑党员", "郑党员有重名，请改填身份证号"),
        ("乙委党员", "甲委机关党委所属党员中没有：乙委党员"),
        (unknown, "没有：第1行的身份证号"),
    ):
        page = admin.post(url, {"roles": ["committee"], "members": text})
        assert page.status_code == 400 and error in page.content.decode(), text
    assert not CampaignParticipant.objects.filter(campaign=campaign).exists()
    response = admin.post(url, {"roles": ["committee"], "members": f"吴委员\n{number}\n"})
    assert response.status_code == 302
    assert set(CampaignParticipant.objects.filter(campaign=campaign).values_list("member", flat=True)) == {
        party.people[2].pk,
        twin.pk,
    }
    assert "吴委员" in admin.get(url).content.decode()


def test_the_dangwei_takes_a_subject_out_from_the_campaign_page(party, campaign):
    from dangjian.appraisals.tests.conftest import to_voting

    s = Subject.objects.get(campaign=campaign, org=party.tree.a2)
    owner = client_of(party.admin)
    page = owner.get(reverse("appraisals:detail", args=[campaign.pk])).content.decode()
    assert reverse("appraisals:remove_subject", args=[s.pk]) in page
    assert client_of(party.a2).post(reverse("appraisals:remove_subject", args=[s.pk])).status_code == 404
    done = owner.post(reverse("appraisals:remove_subject", args=[s.pk]), follow=True)
    assert "已将甲二支部（书记钱书记）移出本次述职评议" in done.content.decode()
    assert list(campaign.subjects.values_list("org__code", flat=True)) == ["A1"]
    # once the 测评 opened, the button is gone and a POST is refused on the page
    c = to_voting(campaign, party.admin)
    kept = c.subjects.get()
    page = owner.get(reverse("appraisals:detail", args=[c.pk])).content.decode()
    assert reverse("appraisals:remove_subject", args=[kept.pk]) not in page
    refused = owner.post(reverse("appraisals:remove_subject", args=[kept.pk]), follow=True).content.decode()
    assert "不能进行此项操作" in refused and c.subjects.count() == 1


def test_a_branch_without_a_campaign_is_told_who_opens_it(users):
    """The 工作台 sends a branch to this page for its secretary's 述职: with no campaign open yet and none to open,
    the page says the organisation above opens it (a page with nothing to do and no word why, before)."""
    url = reverse("appraisals:index")
    branch = client_of(users["branch_a1"])
    said = "述职评议由上级党组织组织开展"
    assert said in branch.get(url).content.decode()
    assert said not in client_of(users["dangwei_a"]).get(url).content.decode()  # the 机关党委 opens it here
    branch.cookies["django_language"] = "en"
    html = branch.get(url).content.decode()
    assert "opened by the Party organisation above" in html and said not in html
