"""The assessment scheme as data: the sample file loads; unknown keys, a rule the rulebook lacks, points that do
not add up, a year that is not the file's and an edited published file are refused in Chinese, naming the file."""

from __future__ import annotations

import hashlib
import re

import pytest

from dangjian.assessment.scheme import SchemeError, list_years, load_scheme
from dangjian.assessment.tests.conftest import REPO_RULES, SAMPLE, rewrite


def test_the_sample_scheme_loads_published_with_every_kind_of_indicator():
    loaded = load_scheme(2026)
    s = loaded.scheme
    assert loaded.published and loaded.file == SAMPLE
    assert loaded.checksum == hashlib.sha256((REPO_RULES / SAMPLE).read_bytes()).hexdigest()
    assert {i.method for i in s.indicators} == {"rules", "evaluation", "assessor", "bonus", "penalty"}
    assert sum(i.points for i in s.indicators if i.method not in ("bonus", "penalty")) == s.total == 100
    assert [t.role for t in s.tiering.tiers] == ["model", "standard", "lagging"]
    assert list_years()[:2] == [2026, 2027]


def test_the_2027_sample_scores_the_secretarys_appraisal_from_the_records():
    s = load_scheme(2027)
    res01 = next(i for i in s.scheme.indicators if i.id == "RES-01")
    assert s.published and (res01.method, res01.source) == ("evaluation", "appraisal_composite")
    assert (res01.mapping[0].min, res01.mapping[0].points) == (90, 5) and res01.mapping[-1].min == 0


def test_an_edited_published_scheme_is_refused(rules):
    path = rules / SAMPLE
    path.write_text(
        path.read_text(encoding="utf-8").replace("deduction: 0.5", "deduction: 0.4", 1), encoding="utf-8"
    )
    with pytest.raises(SchemeError, match=re.escape("assessment-2026.yaml：已发布的考核方案被修改")):
        load_scheme(2026)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["groups"][0]["indicators"][0].update(rules=["NO-SUCH-RULE"]), "没有规则 NO-SUCH-RULE"),
        (lambda d: d.update(total=99), "指标分值之和为 100，与 total 99 不一致"),
        (lambda d: d.update(year=2027), "year 为 2027，与文件名中的年度不一致"),
        (
            lambda d: d["groups"][2]["indicators"].append(dict(d["groups"][2]["indicators"][0], points=0)),
            "指标编号不能重复：ORG-01",
        ),
        (lambda d: d["grading"]["bands"].reverse(), "bands 须按最低分从高到低排列"),
        (lambda d: d["tiering"]["tiers"][-1].update(min=10), "最后一级须从 0 分起"),
        (lambda d: d["groups"][0]["indicators"][0].update(per="per_month"), "per"),
    ],
)
def test_an_invalid_scheme_is_refused_naming_the_file_and_the_problem(rules, change, message):
    rewrite(rules, change)  # a draft: not in the manifest
    with pytest.raises(SchemeError) as raised:
        load_scheme(2026)
    assert (
        raised.value.message.startswith("规则文件 assessment-2026.yaml") and message in raised.value.message
    )


def test_a_year_without_a_scheme_is_said(rules):
    with pytest.raises(SchemeError, match=re.escape("assessment-2031.yaml 不存在")):
        load_scheme(2031)


def test_a_draft_loads_unpublished_and_a_new_file_is_read_when_it_changes(rules):
    rewrite(rules, lambda d: d.update(title="草稿"))
    first = load_scheme(2026)
    assert (first.scheme.title, first.published) == ("草稿", False)
    rewrite(rules, lambda d: d.update(title="第二稿", note="改过了"))
    assert load_scheme(2026).scheme.title == "第二稿"
