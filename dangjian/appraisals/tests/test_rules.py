"""EVAL-SHUZHI-ANNUAL (rulebook v7) over campaigns run through the services, dated last year so that every state
has a fixed day: pending, failing with the part missing, passing from the day both the closing and the upload are
done; not applicable to a dissolved branch or a 党组; one query for the facts whatever the number of
organisations; v6 as published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.appraisals import services
from dangjian.appraisals.rules import load_appraisal_facts, resolve_appraisals
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.orgs.models import Org

pytestmark = pytest.mark.django_db

D = dt.date
RULE = "EVAL-SHUZHI-ANNUAL"


@pytest.fixture
def y(today) -> int:
    """The year of these tests: last year, so that every day of them is in the past."""
    return today.year - 1


def result(y, org, as_of: dt.date):
    found = evaluate(Org.objects.filter(pk=org.pk), year=y, as_of=as_of).results
    return next((r for r in found if r.rule.id == RULE), None)


def held(y, party, *, upload_on=None, close_on=None):
    """甲委's 述职评议 of `y`: opened 1 March with 甲一 and 甲二, 测评 from 1 April; 甲一's report uploaded on
    `upload_on`, closed on `close_on`."""
    c = services.create_campaign(actor=party.admin, owner=party.owner, year=y, opened_on=D(y, 3, 1))
    services.add_subjects(actor=party.admin, campaign=c, orgs=[party.tree.a1, party.tree.a2], on=D(y, 3, 1))
    c = services.advance(actor=party.admin, campaign=c, on=D(y, 3, 2))
    if upload_on:
        s = c.subjects.get(org=party.tree.a1)
        s = services.upload_report(
            actor=party.a1, subject=s, upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4"), on=upload_on
        )
        s.report.delete(save=False)
        type(s).objects.filter(pk=s.pk).update(report="appraisals/kept.pdf")  # the file itself is not read
    c = services.advance(actor=party.admin, campaign=c, on=D(y, 4, 1))
    if close_on:
        c = services.advance(actor=party.admin, campaign=c, on=close_on, confirm_gaps=True)
    return c


def test_the_rule_is_in_the_latest_rulebook_and_v6_is_as_published():
    latest = load_ruleset()
    assert latest.version >= 7
    rule = next(r for r in latest.rules if r.id == RULE)
    assert rule.check == "appraisal_annual" and set(rule.applies_to) == {"dangwei", "zongzhi", "zhibu"}
    v6 = load_ruleset(6)
    assert RULE not in {r.id for r in v6.rules}
    assert {r.id for r in latest.rules} - {r.id for r in v6.rules} == {RULE}


def test_not_in_a_campaign_pending_then_failing(party, y):
    pending = result(y, party.tree.a1, D(y, 6, 30))
    assert pending.status == "pending" and "未列入述职评议" in str(pending.message)
    failed = result(y, party.tree.a1, D(y, 12, 31))
    assert failed.status == "fail" and failed.missing == [str(y)] and "未列入述职评议" in str(failed.message)


def test_passes_once_closed_with_the_report(party, y):
    c = held(y, party, upload_on=D(y, 3, 20), close_on=D(y, 5, 10))
    assert result(y, party.tree.a1, D(y, 5, 9)).status == "pending"  # uploaded, 测评 still open
    assert "测评未结束" in str(result(y, party.tree.a1, D(y, 5, 9)).message)
    passed = result(y, party.tree.a1, D(y, 5, 10))
    assert passed.status == "pass" and str(D(y, 5, 10)) in str(passed.message)
    subject = c.subjects.get(org=party.tree.a1)
    assert [(ref.kind, ref.id) for ref in passed.evidence] == [("appraisal", subject.pk)]
    # 甲二 never uploaded: the campaign closed, nothing more can come — fails at once, naming the part
    failed = result(y, party.tree.a2, D(y, 5, 10))
    assert failed.status == "fail" and "未上传述职报告" in str(failed.message)


def test_open_at_the_years_end_fails_with_the_voting_open(party, y):
    held(y, party, upload_on=D(y, 3, 20))
    assert result(y, party.tree.a1, D(y, 11, 30)).status == "pending"
    failed = result(y, party.tree.a1, D(y, 12, 31))
    assert failed.status == "fail" and "测评未结束" in str(failed.message)


def test_a_campaign_of_another_year_does_not_count(party, y):
    c = services.create_campaign(actor=party.admin, owner=party.owner, year=y - 1, opened_on=D(y - 1, 3, 1))
    services.add_subjects(actor=party.admin, campaign=c, orgs=[party.tree.a1], on=D(y - 1, 3, 1))
    assert "未列入述职评议" in str(result(y, party.tree.a1, D(y, 12, 31)).message)


def test_not_applicable_to_a_dissolved_branch_and_no_result_for_a_dangzu(party, y):
    Org.objects.filter(pk=party.tree.a2.pk).update(dissolved_on=D(y, 6, 1))
    assert result(y, party.tree.a2, D(y, 12, 31)).status == "not_applicable"
    assert result(y, party.tree.a_dz, D(y, 12, 31)) is None  # 党组 are not in the rule's types


def test_the_facts_are_one_query_whatever_the_number_of_organisations(
    party, add_branches, django_assert_num_queries, y
):
    held(y, party, upload_on=D(y, 3, 20), close_on=D(y, 5, 10))
    add_branches(30, 1)
    orgs = Org.objects.all()
    with django_assert_num_queries(1):
        facts = load_appraisal_facts(orgs.values("pk"), orgs, y, D(y, 12, 31))
    assert set(facts) == {party.tree.a1.pk, party.tree.a2.pk}


def test_the_evidence_is_read_through_the_viewers_scope(party, y):
    c = held(y, party, upload_on=D(y, 3, 20), close_on=D(y, 5, 10))
    s = c.subjects.get(org=party.tree.a1)
    own = resolve_appraisals(party.a1, [s.pk])[s.pk]
    assert own.visible and own.url.endswith(f"/subjects/{s.pk}/")
    other = resolve_appraisals(party.foreign, [s.pk])[s.pk]
    assert not other.visible and other.url == "" and other.date == D(y, 5, 10)
