"""The assessment speaks in words, not codes: a tier missed by a condition names the rules that miss a period by
their titles in the rulebook (also in a round frozen when the reasons named rule ids), `dangjian assessment explain`
names each rule by its title with its id in brackets, the result as the pages say it (不符合), the periods missing in
words and each organisation by its name and 组织编码; the unit's page says the periods in words; a branch's 单位 is
named, never given by its key — while the command's JSON keeps its keys and ids."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.assessment.models import FrozenBranch, Round
from dangjian.assessment.scoring import reworded
from dangjian.assessment.selectors import assess, current_json, rule_titles, unit_names
from dangjian.assessment.tests.test_selectors import YEAR, fail, stamp
from dangjian.compliance.rulebook import load_ruleset
from dangjian.orgs.models import Org

TITLES = {r.id: r.title for r in load_ruleset().rules}
LECTURE = TITLES["MTG-LECTURE-QUARTERLY"]  # 每季度上党课
COMMITTEE = TITLES["MTG-COMMITTEE-MONTHLY"]  # 每月召开支部委员会
GROUP = TITLES["MTG-GROUP-MONTHLY"]  # 每月召开党小组会
RULE_ID = re.compile(r"[A-Z]+(?:-[A-Z0-9]+)+")


def run(*args) -> str:
    out = io.StringIO()
    call_command("assessment", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def branch(data: dict, code: str) -> dict:
    return next(b for b in data["branches"] if b["org"] == code)


# --- a live assessment ---------------------------------------------------------------------------------------------


@pytest.fixture
def recent(tree):
    """甲二 misses a 党课 of the last quarter and two recent 支委会: 达标, not 先进, by the condition."""
    stamp()
    fail(tree.a2, "MTG-LECTURE-QUARTERLY", ["2026-Q4"])
    fail(tree.a2, "MTG-COMMITTEE-MONTHLY", ["2026-11", "2026-12"])
    return tree


def test_an_unmet_condition_names_its_rules_by_title_in_the_schemes_order(recent):
    a2 = branch(current_json(YEAR), "A2")
    assert a2["tier"] == "达标"
    # the condition lists 支委会 before 党课 (rules: [MTG-COMMITTEE-MONTHLY, …, MTG-LECTURE-QUARTERLY])
    assert a2["reasons"] == [f"未评为先进：不满足“最近三个月三会一课无缺项”（“{COMMITTEE}”、“{LECTURE}”）"]
    assert not RULE_ID.search(a2["reasons"][0])


def test_the_round_page_the_workbook_and_the_explanation_name_the_rules(client, users, recent):
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    reason = f"未评为先进：不满足“最近三个月三会一课无缺项”（“{COMMITTEE}”、“{LECTURE}”）"
    html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    row = html[html.index('data-branch="A2"') :]
    row = row[: row.index("</tr>")]
    assert f'<td class="small" lang="zh-hans">{reason}</td>' in row and "MTG-" not in row
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content))
    a2 = next(r for r in book["党支部分类定级"].values if r[0] == "A2")
    assert a2[5] == reason
    text = run("explain", "--year", str(YEAR), "--org", "A2")
    assert f"【甲二支部（A2）】得分 97.27，分类定级：达标\n  {reason}\n" in text


def test_explain_names_rules_periods_results_and_organisations_in_words(recent):
    fail(recent.a1, "PIPE-ASSESS-6M", ["周静怡（应于2026-11-06前考察）"])
    text = run("explain", "--year", str(YEAR), "--org", "A")
    assert "【甲委（A-DZ、A）】总分" in text  # the unit with the 组织编码 of its 党组 and 机关党委
    assert (
        f"    - 甲二支部（A2）：“{LECTURE}”（MTG-LECTURE-QUARTERLY）不符合，涉及 2026年第4季度，扣 0.50\n"
        in text
    )
    assert (
        f"    - 甲二支部（A2）：“{COMMITTEE}”（MTG-COMMITTEE-MONTHLY）不符合，涉及 2026年11月、2026年12月，扣 1.00\n"
        in text
    )
    # what a missing entry says when it is not a period stays as it is
    assert (
        f"    - 甲一支部（A1）：“{TITLES['PIPE-ASSESS-6M']}”（PIPE-ASSESS-6M）不符合，"
        "涉及 周静怡（应于2026-11-06前考察），扣 1.00\n" in text
    )
    # a rule id appears only in brackets after its title; no period code, no status code
    for rule_id in TITLES:
        for found in re.finditer(rf"(?<![-A-Z0-9]){re.escape(rule_id)}(?![-A-Z0-9])", text):
            assert text[found.start() - 2 : found.start()] == "”（", text[found.start() - 40 : found.end()]
    assert "2026-Q4" not in text and "2026-11、" not in text and "fail" not in text


def test_the_json_keeps_its_keys_and_the_ids(recent):
    data = json.loads(run("score", "--year", str(YEAR), "--format", "json"))
    a2 = branch(data, "A2")
    assert set(a2) == {"org", "name", "unit", "evaluated", "score", "tier", "role", "reasons"}
    deductions = [d for u in data["units"] for i in u["indicators"] for d in i["deductions"]]
    assert {d["rule"] for d in deductions} == {"MTG-LECTURE-QUARTERLY", "MTG-COMMITTEE-MONTHLY"}
    assert {tuple(d["missing"]) for d in deductions} == {("2026-Q4",), ("2026-11", "2026-12")}
    assert set(deductions[0]) == {"org", "org_name", "rule", "missing", "items", "points"}


def test_the_unit_page_says_the_periods_in_words(client, users, recent):
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    html = client.get(reverse("assessment:unit", args=[YEAR, recent.a.pk])).content.decode()
    assert f'<span title="MTG-LECTURE-QUARTERLY">{LECTURE}</span>（2026年第4季度），扣 0.50' in html
    assert (
        f'<span title="MTG-COMMITTEE-MONTHLY">{COMMITTEE}</span>（2026年11月、2026年12月），扣 1.00' in html
    )


# --- a round frozen when the reasons named rule ids -----------------------------------------------------------------

OLD_REASONS = [
    # the first wording: no "未评为", the ids of the condition's rules
    "先进：不满足“最近三个月三会一课无缺项”（MTG-LECTURE-QUARTERLY、MTG-GROUP-MONTHLY）",
    # the next: "未评为…", still the ids; one the rulebook of the round no longer holds
    "未评为达标：得分 61.20 低于 75 分",
    "未评为先进：不满足“最近三个月三会一课无缺项”（MTG-COMMITTEE-MONTHLY）；不满足“全年无缺项”（XYZ-GONE）",
]
NEW_REASONS = [
    f"未评为先进：不满足“最近三个月三会一课无缺项”（“{LECTURE}”、“{GROUP}”）",
    "未评为达标：得分 61.20 低于 75 分",
    f"未评为先进：不满足“最近三个月三会一课无缺项”（“{COMMITTEE}”）；不满足“全年无缺项”（XYZ-GONE）",
]


@pytest.fixture
def frozen(tree):
    """The 2026 round approved with 甲二 tiered 后进, its reasons frozen in the wordings that named rule ids."""
    meta = assess(YEAR).as_json()
    found = Round.objects.create(
        year=YEAR,
        scheme_version=1,
        scheme_checksum="x" * 64,
        stage="approved",
        opened_on="2027-01-05",
        approved_on="2027-02-01",
        frozen_meta={k: meta[k] for k in ("scheme", "rulebook_version", "as_of")},
    )
    FrozenBranch.objects.create(
        round=found,
        org=tree.a2,
        score="61.20",
        tier="后进",
        data={
            "org": "A2",
            "name": "甲二支部",
            "unit": "甲委",
            "evaluated": True,
            "score": "61.20",
            "tier": "后进",
            "role": "lagging",
            "reasons": OLD_REASONS,
        },
    )
    return found


def test_reasons_frozen_with_rule_ids_read_with_titles(frozen):
    assert branch(current_json(YEAR), "A2")["reasons"] == NEW_REASONS
    # the rows themselves are not rewritten: the frozen record stays as 审定 left it
    assert FrozenBranch.objects.get().data["reasons"] == OLD_REASONS


def test_the_pages_the_workbook_and_the_command_of_a_frozen_round_name_the_rules(client, users, tree, frozen):
    client.force_login(users["branch_a2"])
    html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    row = html[html.index('data-branch="A2"') :]
    row = row[: row.index("</tr>")]
    assert f'<td class="small" lang="zh-hans">{"；".join(NEW_REASONS)}</td>' in row
    page = client.get(reverse("assessment:rectification", args=[YEAR, tree.a2.pk])).content.decode()
    tier = page[page.index('data-testid="tier"') :]
    tier = tier[: tier.index("</p>")]
    assert f'<span lang="zh-hans">{"；".join(NEW_REASONS)}</span>' in tier and "MTG-" not in tier
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content))
    a2 = next(r for r in book["党支部分类定级"].values if r[0] == "A2")
    assert a2[5] == "；".join(NEW_REASONS)
    text = run("explain", "--year", str(YEAR), "--org", "A2")
    assert "\n".join(f"  {r}" for r in NEW_REASONS) in text


def test_rewording_the_rule_ids_of_a_frozen_reason():
    titles = {"MTG-LECTURE-QUARTERLY": "每季度上党课", "MTG-GROUP-MONTHLY": "每月召开党小组会"}
    assert reworded(OLD_REASONS[0], titles) == (
        "未评为先进：不满足“最近三个月三会一课无缺项”（“每季度上党课”、“每月召开党小组会”）"
    )
    # without the titles (a rulebook no longer there) the ids stay; a reworded reason is reworded no further
    assert (
        reworded(OLD_REASONS[0], {})
        == "未评为先进：不满足“最近三个月三会一课无缺项”（MTG-LECTURE-QUARTERLY、MTG-GROUP-MONTHLY）"
    )
    assert reworded(NEW_REASONS[0], TITLES) == NEW_REASONS[0]
    # only the rules an unmet condition names: a parenthesis elsewhere is the scheme's text
    other = "未评为先进：得分 94.55 低于 95 分（MTG-LECTURE-QUARTERLY）"
    assert reworded(other, titles) == other
    assert rule_titles(99) == {} and rule_titles("x") == {}
    assert rule_titles(None)["MTG-LECTURE-QUARTERLY"] == LECTURE


# --- a unit named by its key ------------------------------------------------------------------------------------


@pytest.fixture
def keyless(tree):
    """乙委's organisations have no 所在单位: their unit is "@" and the path of 乙委机关党委."""
    Org.objects.filter(code__in=["B", "B-ZZ", "B1"]).update(unit="")
    stamp()
    return tree


def test_a_branch_of_a_unit_without_its_name_is_given_its_units_name(client, users, make_user, keyless):
    key = "@" + keyless.b.path
    assert branch(current_json(YEAR), "B1")["unit"] == key  # the JSON keeps the key
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content))
    b1 = next(r for r in book["党支部分类定级"].values if r[0] == "B1")
    assert b1[2] == "乙委机关党委"
    # a 支部管理员 sees the branch, not its unit: still named
    client.force_login(make_user("branch_b1", "branch_admin", keyless.b1))
    html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    row = html[html.index('data-branch="B1"') :]
    row = row[: row.index("</tr>")]
    assert '<td lang="zh-hans">乙委机关党委</td>' in row and key not in html
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content))
    b1 = next(r for r in book["党支部分类定级"].values if r[0] == "B1")
    assert b1[2] == "乙委机关党委"


def test_unit_names_costs_one_query_only_for_keys_it_does_not_hold(keyless, tree):
    data = current_json(YEAR)
    with CaptureQueriesContext(connection) as none:
        names = unit_names(data)  # every branch's unit is among the units
    assert len(none) == 0 and names["@" + tree.b.path] == "乙委机关党委"
    part = dict(
        data, units=[], branches=[*data["branches"], dict(branch(data, "A1"), unit="@" + tree.a.path)]
    )
    with CaptureQueriesContext(connection) as one:
        names = unit_names(part)
    assert len(one) == 1
    assert names == {"甲委": "甲委", "@" + tree.b.path: "乙委机关党委", "@" + tree.a.path: "甲委机关党委"}


def test_the_audit_notes_name_the_unit_and_the_indicator(users, make_user, keyless):
    from dangjian.assessment import services
    from dangjian.core.models import AuditEvent

    gongwei, b_admin = users["gongwei"], make_user("dangwei_b", "dangwei_admin", keyless.b)
    b_key = "@" + keyless.b.path
    found = services.open_round(actor=gongwei, year=YEAR)
    services.write_self_review(
        actor=users["dangwei_a"], round=found, unit_key="甲委", indicator_id="ORG-01", text="4月已召开"
    )
    review = services.write_self_review(
        actor=b_admin,
        round=found,
        unit_key=b_key,
        indicator_id="ORG-01",
        text="漏登",
        contest=True,
        claimed="6",
    )
    found = services.advance(actor=gongwei, round=found, expected="self")
    services.rule_contest(actor=gongwei, review=review, accept=True, text="核实属实", adjusted="6")
    services.score_item(
        actor=gongwei, round=found, unit_key=b_key, indicator_id="POL-02", points="8", reason="执行到位"
    )
    notes = list(AuditEvent.objects.filter(note__contains="（").order_by("pk").values_list("note", flat=True))
    assert notes[-4:] == [
        "甲委 支部委员会每月召开（ORG-01） 自评说明",
        "乙委机关党委 支部委员会每月召开（ORG-01） 自评异议",
        "乙委机关党委 支部委员会每月召开（ORG-01） 异议采纳",
        "乙委机关党委 落实“第一议题”制度和理论学习中心组学习（POL-02） 评分 8.00",
    ]
