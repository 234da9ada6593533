import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.elections.models import Election, TermAdjustment
from dangjian.elections.services import record_election
from dangjian.elections.tests.conftest import cands
from dangjian.orgs.models import Org, Post

D = dt.date(2026, 9, 1)


def login(client, user):
    client.force_login(user)
    return client


def post_data(org, members, present, votes, **extra):
    data = {
        "org": org.pk,
        "held_on": D.isoformat(),
        "form": "assembly",
        "present": present,
        "seats": 3,
        "ballots_issued": present,
        "ballots_returned": present,
        "expected": "",
        "c-TOTAL_FORMS": 8,
        "c-INITIAL_FORMS": 0,
        "c-MIN_NUM_FORMS": 0,
        "c-MAX_NUM_FORMS": 1000,
    }
    for i, (m, v) in enumerate(zip(members, votes, strict=False)):
        data.update(
            {f"c-{i}-member": m.pk, f"c-{i}-title": "shuji" if i == 0 else "weiyuan", f"c-{i}-votes": v}
        )
    data.update(extra)
    return data


def test_entry_refused_for_quorum_shows_checks_then_records(client, users, tree, a1_voters):
    c = login(client, users["dangwei_a"])  # roster: 10 + 李党员 = 11; quorum needs 9
    page = c.get(reverse("elections:create"), {"org": tree.a1.pk, "held_on": D.isoformat()})
    assert page.status_code == 200 and "名册中有选举权的正式党员 11 人" in page.content.decode()
    r = c.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 8, (8, 7, 6, 2)))
    assert r.status_code == 400
    html = r.content.decode()
    assert "ELECT-QUORUM：到会人数不足" in html and 'data-rule="ELECT-QUORUM" data-ok="0"' in html
    assert 'data-rule="ELECT-MARGIN" data-ok="1"' in html
    assert not Election.objects.exists()
    r = c.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 9, (9, 8, 7, 2)))
    election = Election.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("elections:detail", args=[election.pk])
    detail = c.get(r["Location"]).content.decode()
    assert 'data-rule="ELECT-THRESHOLD" data-ok="1"' in detail and "当选" in detail


def test_approval_from_the_detail_page_renews_the_term(client, users, tree, a1_voters):
    e = record_election(
        actor=None,
        org=tree.a1,
        held_on=D,
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters, (9, 8, 7, 2), {0: "shuji"}),
    )
    c = login(client, users["dangwei_a"])
    r = c.post(
        reverse("elections:approve", args=[e.pk]), {"approved_on": "2026-08-01", "approving_body": "甲委"}
    )
    assert r.status_code == 400 and "不能早于选举日期" in r.content.decode()
    r = c.post(
        reverse("elections:approve", args=[e.pk]),
        {"approved_on": "2026-09-15", "approving_body": "甲委机关党委"},
    )
    assert r.status_code == 302
    assert "本届任期：2026-09-01 至 2029-09-01" in c.get(r["Location"]).content.decode()
    assert Post.objects.holders(tree.a1, "shuji", dt.date(2026, 9, 15)).get().member == a1_voters[0]


def test_out_of_scope_is_404(client, users, tree, a1_voters):
    e = record_election(
        actor=None,
        org=tree.a1,
        held_on=D,
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters, (9, 8, 7, 2)),
    )
    c = login(client, users["branch_a2"])
    assert c.get(reverse("elections:detail", args=[e.pk])).status_code == 404
    assert c.get(reverse("elections:create"), {"org": tree.a1.pk}).status_code == 404
    assert c.get(reverse("elections:adjust", args=[tree.a1.pk])).status_code == 404
    assert c.post(reverse("elections:approve", args=[e.pk]), {}).status_code == 404
    assert login(client, users["member_a1"]).get(reverse("elections:index")).status_code == 403


def test_index_lists_due_terms_in_scope_with_fixed_queries(client, users, tree, a1_voters):
    c = login(client, users["dangwei_a"])
    with CaptureQueriesContext(connection) as before:
        html = c.get(reverse("elections:index"), {"as_of": "2026-04-01"}).content.decode()
    assert 'data-org="A1" data-status="due"' in html
    assert 'data-org="B1"' not in html  # outside the scope
    assert 'data-org="A2" data-status="violation"' in html  # founded 2018, 3 years
    for i in range(4):
        Org.objects.create(
            code=f"AX{i}",
            name=f"新支部{i}",
            type="zhibu",
            parent=tree.a,
            path=f"{tree.a.path}9{i:07d}/",
            depth=3,
            founded_on=dt.date(2024, 1, 1),
        )
    with CaptureQueriesContext(connection) as after:
        html = c.get(reverse("elections:index"), {"as_of": "2026-04-01"}).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
    assert "新支部3" not in html  # ok terms are counted, not listed
    assert "其余 4 个组织任期正常" in html


def test_index_over_a_range_too_wide_asks_for_a_narrower_one(client, users, tree, a1_voters, settings):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) the terms are not read: the page offers
    the organisations one level down (keeping the date) and still shows the recent elections and the checklist;
    one of them chosen (?org=, within the user's scope: a 404 otherwise), its terms are listed as before."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    c = login(client, users["gongwei"])
    response = c.get(reverse("elections:index"), {"as_of": "2026-04-01"})
    assert response.status_code == 200
    assert response.context["attention"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="terms"' not in html
    assert f'href="?as_of=2026-04-01&amp;org={tree.a.pk}"' in html and 'data-org="A1"' not in html
    assert (
        "任期正常" not in html and 'data-testid="checklist"' in html and 'data-testid="new-election"' in html
    )
    response = c.get(
        reverse("elections:index"), {"as_of": "2026-04-01", "org": tree.a.pk}
    )  # 甲委: two 党支部
    html = response.content.decode()
    assert response.context["wide"] is None and 'data-testid="wide-scope"' not in html
    assert 'data-org="A1" data-status="due"' in html and 'data-org="B1"' not in html
    c = login(client, users["dangwei_a"])  # 甲委's own range: listed
    html = c.get(reverse("elections:index"), {"as_of": "2026-04-01"}).content.decode()
    assert 'data-testid="wide-scope"' not in html and 'data-org="A1" data-status="due"' in html
    assert c.get(reverse("elections:index"), {"org": tree.b.pk}).status_code == 404
    assert c.get(reverse("elections:index"), {"org": "x"}).status_code == 404


def test_index_narrowed_to_an_organisation_lists_only_its_recent_elections(client, users, tree, a1_voters):
    """最近的选举 follows the chosen organisation (?org=) as the terms do: 甲二's page does not list 甲一's election."""
    c = login(client, users["dangwei_a"])
    r = c.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 9, (9, 8, 7, 2)))
    election = Election.objects.get()
    assert r.status_code == 302
    detail = reverse("elections:detail", args=[election.pk])
    assert f'href="{detail}"' in c.get(reverse("elections:index")).content.decode()
    assert f'href="{detail}"' in c.get(reverse("elections:index"), {"org": tree.a1.pk}).content.decode()
    html = c.get(reverse("elections:index"), {"org": tree.a2.pk}).content.decode()
    assert 'data-testid="recent"' not in html and f'href="{detail}"' not in html


def test_postponement_form(client, users, tree, a1_voters):
    c = login(client, users["dangwei_a"])
    url = reverse("elections:adjust", args=[tree.a1.pk])
    assert "2026-09-01" in c.get(url).content.decode()
    bad = {
        "kind": "postpone",
        "new_due_on": "2027-10-01",
        "approved_on": "2026-08-01",
        "approving_body": "甲委",
        "reason": "机构改革",
    }
    r = c.post(url, bad)
    assert r.status_code == 400 and "不超过12个月" in r.content.decode()
    r = c.post(url, {**bad, "new_due_on": "2027-03-01"})
    assert r.status_code == 302
    assert TermAdjustment.objects.get().new_due_on == dt.date(2027, 3, 1)


def test_entry_with_an_exclusion_and_the_approval_note(client, users, tree, a1_voters):
    c = login(client, users["dangwei_a"])  # 11 on the roster
    data = post_data(tree.a1, a1_voters, 9, (9, 8, 7, 2))
    data.update({"exclude": [str(a1_voters[9].pk)], "exclusion_reason": "abroad", "exclusion_approval": ""})
    r = c.post(reverse("elections:create"), data)
    assert r.status_code == 400 and "批准情况" in r.content.decode()
    data["exclusion_approval"] = "甲委机关党委批复"
    r = c.post(reverse("elections:create"), data)
    assert r.status_code == 302
    e = Election.objects.get()
    assert (e.roster_voters, e.expected) == (11, 10)
    assert "甲委机关党委批复" in c.get(r["Location"]).content.decode()


def _recorded(tree, a1_voters, **kw):
    return record_election(
        actor=None,
        org=tree.a1,
        held_on=kw.pop("held_on", D),
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters, (9, 8, 7, 2), {0: "shuji"}),
        **kw,
    )


def _input(html: str, name: str) -> str:
    return re.search(rf'<input[^>]* name="{name}"[^>]*>', html).group(0)


def test_dates_after_today_are_neither_offered_nor_accepted(client, users, tree, a1_voters):
    today, tomorrow = dt.date.today(), dt.date.today() + dt.timedelta(days=1)
    c = login(client, users["dangwei_a"])
    html = c.get(reverse("elections:create")).content.decode()
    assert f'max="{today:%Y-%m-%d}"' in _input(html, "held_on")
    page = c.get(reverse("elections:create"), {"org": tree.a1.pk, "held_on": tomorrow.isoformat()})
    html = page.content.decode()
    assert "选举日期不能晚于今天" in html and 'data-testid="election-form"' not in html
    r = c.post(
        reverse("elections:create"), {**post_data(tree.a1, a1_voters, 10, (9, 8, 7, 2)), "held_on": tomorrow}
    )
    assert "选举日期不能晚于今天" in r.content.decode() and not Election.objects.exists()

    e = _recorded(tree, a1_voters)
    html = c.get(reverse("elections:detail", args=[e.pk])).content.decode()
    assert f'max="{today:%Y-%m-%d}"' in _input(html, "approved_on")
    r = c.post(
        reverse("elections:approve", args=[e.pk]),
        {"approved_on": tomorrow.isoformat(), "approving_body": "甲委机关党委"},
    )
    assert r.status_code == 400 and "批准日期不能晚于今天" in r.content.decode()
    e.refresh_from_db()
    assert e.approved_on is None and Org.objects.get(pk=tree.a1.pk).term_started_on == dt.date(2023, 9, 1)


def test_the_same_election_entered_twice_is_refused_on_the_form(client, users, tree, a1_voters):
    c = login(client, users["dangwei_a"])
    assert (
        c.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 10, (9, 8, 7, 2))).status_code
        == 302
    )
    r = c.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 10, (9, 8, 7, 2)))
    html = r.content.decode()
    assert (
        r.status_code == 400
        and "甲一支部 2026-09-01的选举已登记（党员大会，应选3名，当选3名），不能重复登记" in html
    )
    assert Election.objects.count() == 1


def test_an_election_is_deleted_from_its_page_until_approved(client, users, tree, a1_voters):
    e = _recorded(tree, a1_voters)
    url = reverse("elections:delete", args=[e.pk])
    c = login(client, users["branch_a1"])
    html = c.get(reverse("elections:detail", args=[e.pk])).content.decode()
    assert f'action="{url}"' in html and 'data-confirm="确定删除这条选举记录？' in html
    assert c.get(url).status_code == 405
    assert login(client, users["branch_a2"]).post(url).status_code == 404
    assert Election.objects.filter(pk=e.pk).exists()
    c = login(client, users["branch_a1"])
    r = c.post(url, follow=True)
    assert (
        r.redirect_chain == [(reverse("elections:index"), 302)] and "已删除该选举记录。" in r.content.decode()
    )
    assert not Election.objects.exists()
    assert c.post(url).status_code == 404  # a repeat finds nothing

    e = _recorded(tree, a1_voters)
    approve = reverse("elections:approve", args=[e.pk])
    c = login(client, users["dangwei_a"])
    assert (
        c.post(approve, {"approved_on": D.isoformat(), "approving_body": "甲委机关党委"}).status_code == 302
    )
    detail = reverse("elections:detail", args=[e.pk])
    assert 'data-testid="delete"' not in c.get(detail).content.decode()
    r = c.post(reverse("elections:delete", args=[e.pk]), follow=True)
    assert r.redirect_chain == [(detail, 302)] and "不能删除" in r.content.decode()
    assert Election.objects.filter(pk=e.pk).exists()


def test_entry_with_more_ballots_than_voters_present_is_refused_beside_the_ballots(
    client, users, tree, a1_voters
):
    c = login(client, users["dangwei_a"])
    data = post_data(tree.a1, a1_voters, 9, (15, 12, 10, 2), ballots_issued=20, ballots_returned=20)
    r = c.post(reverse("elections:create"), data)
    assert r.status_code == 400 and not Election.objects.exists()
    html = r.content.decode()
    assert (
        '<div class="text-danger small" id="id_ballots_issued_error">发出选票（20张）不能多于实到会有选举权人数（9人）'
        in html
    )
    assert 'name="ballots_issued" value="20"' in html  # what was typed stays to be corrected


def test_entry_with_no_seats_says_so_in_words(client, users, tree, a1_voters):
    c = login(client, users["dangwei_a"])
    r = c.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 9, (9, 8, 7, 2), seats=0))
    html = r.content.decode()
    assert r.status_code == 400 and not Election.objects.exists()
    assert '<div class="text-danger small" id="id_seats_error">应选名额至少为1名。</div>' in html
    assert "确保该值" not in html  # Django's own wording
