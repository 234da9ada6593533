"""An imported development case gets its deadlines exactly as one recorded step by step: the sheet carries the
dates of the main steps only, and the steps between them (the 党委's talk, the opinions, the 介绍人 …) are taken
all the same. `dangjian pipeline due`, the pages and the PIPE-* results are the same for both paths."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import idcard
from dangjian.core.dates import add_months
from dangjian.core.errors import ServiceError
from dangjian.core.imports import run_import
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.orgs.models import Org
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.progress import next_steps, primary, state_of
from dangjian.pipeline.services import open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan
from dangjian.pipeline.workflow import load_workflow

pytestmark = pytest.mark.django_db
D = dt.date
APPLIED = D(2023, 1, 5)
DATES = plan(APPLIED)  # admission 2024-03-25, approval 2024-05-04, oath 2024-05-14; probation ends 2025-03-25
ADMITTED = DATES["admission_vote"]
COLUMNS = {
    "application": "申请日期",
    "talk": "谈话日期",
    "activist": "确定积极分子日期",
    "assessment": "最近一次考察日期",
    "candidate": "确定发展对象日期",
    "admission_vote": "接收预备党员日期",
    "approval": "党委审批日期",
    "oath": "入党宣誓日期",
}


def run(*args) -> str:
    out = StringIO()
    call_command("pipeline", *args, stdout=out)
    return out.getvalue()


def imported(tmp_path, until: str, org_code: str = "A2", name: str = "导入丙"):
    """A 预备党员 case brought in by the import, with the sheet's dates up to `until`."""
    keys = list(COLUMNS)
    row = {
        "身份证号": idcard.make("310230", D(1996, 4, 3), 3, True),
        "姓名": name,
        "组织编码": org_code,
        "当前阶段": "预备党员",
        "申请日期": APPLIED.isoformat(),
        **{COLUMNS[k]: DATES[k].isoformat() for k in keys[1 : keys.index(until) + 1]},
    }
    result = run_import("dev-cases", write_xlsx(tmp_path / f"{until}.xlsx", [row]), actor=None, dry_run=False)
    assert result.ok(), result.errors
    return DevelopmentCase.objects.get(name=name)


def stepwise(tree, make_member, until: str, name: str = "逐步丁"):
    """The same person's case recorded step by step in 甲一支部, with the same dates."""
    people = [make_member(tree.a1, name=n) for n in ("联系人", "介绍甲", "介绍乙")]
    case = open_case(
        actor=None,
        org=tree.a1,
        name=name,
        id_number=idcard.make("310230", D(1996, 4, 4), 4, True),
        applied_on=APPLIED,
    )
    return advance(case, until, DATES, contacts=people[:1], sponsors=people[1:])


def due(as_of: dt.date) -> dict[str, dict]:
    """The due list's items by name, without what differs between the two cases (id, name, branch)."""
    items = json.loads(run("due", "--as-of", as_of.isoformat(), "--format", "json"))
    return {i["name"]: {k: v for k, v in i.items() if k not in ("case", "name", "org")} for i in items}


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        # the 党委's talk carries the approval's deadline: 3 months after the 支部大会 (DEV-15)
        ("admission_vote", {"next_step": "党委派人谈话", "due_by": "2024-06-25", "rule": "DEV-15"}),
        # approved: the 入党宣誓 and then the 转正申请 must come before the probation ends (DEV-17)
        ("approval", {"next_step": "入党宣誓", "due_by": "2025-03-25", "rule": "DEV-17"}),
        ("oath", {"next_step": "提出转正申请", "due_by": "2025-03-25", "rule": "DEV-17"}),
    ],
)
def test_imported_and_stepwise_cases_give_the_same_due_list(tree, make_member, tmp_path, until, expected):
    imported(tmp_path, until)
    stepwise(tree, make_member, until)
    for as_of, overdue in ((D(2024, 6, 1), False), (D(2025, 9, 1), True)):
        items = due(as_of)
        assert items["导入丙"] == items["逐步丁"] == {"stage": "预备党员", "overdue": overdue, **expected}


def test_the_party_talk_deadline_on_its_boundary_day(tree, make_member, tmp_path):
    imported(tmp_path, "admission_vote")
    stepwise(tree, make_member, "admission_vote")
    last_day = add_months(ADMITTED, 3)  # 2024-06-25
    for as_of, overdue in ((last_day, False), (last_day + dt.timedelta(days=1), True)):
        items = due(as_of)
        assert items["导入丙"]["overdue"] is items["逐步丁"]["overdue"] is overdue


def test_probation_end_and_conversion_decision(tree, make_member, tmp_path):
    """After the 转正申请 both cases wait for the 支部大会 at the end of the probation, then the 党委."""
    case = imported(tmp_path, "oath")
    other = stepwise(tree, make_member, "oath")
    for c in (case, other):
        record_step(actor=None, case=c, key="conversion_application", on=DATES["conversion_application"])
    items = due(D(2025, 3, 26))
    assert (
        items["导入丙"]
        == items["逐步丁"]
        == {
            "stage": "预备党员",
            "next_step": "支部大会讨论转正",
            "due_by": "2025-03-25",
            "overdue": True,
            "rule": "DEV-17",
        }
    )


def test_the_steps_an_imported_date_implies_are_taken(tree, tmp_path):
    case = imported(tmp_path, "approval")
    wf = load_workflow()
    state = state_of(case, case.steps.all(), wf)
    assert {
        "party_talk",
        "opinions",
        "sponsors",
        "training",
        "pre_review",
        "application_form",
    } <= state.implied
    assert not state.implied & {s.key for s in case.steps.all()}
    main = primary(next_steps(wf, state, D(2024, 6, 1)))
    assert main is not None and main.key == "oath" and main.deadline_of.key == "conversion_vote"
    # the talk is not offered again, and recording it is refused (it was taken before the approval)
    with pytest.raises(ServiceError) as exc:
        record_step(actor=None, case=case, key="party_talk", on=D(2024, 6, 1))
    assert "已登记“党委审批”，“党委派人谈话”已办理" in exc.value.message
    # the case goes on step by step from there
    record_step(actor=None, case=case, key="oath", on=DATES["oath"])
    assert primary(next_steps(wf, state_of(case, case.steps.all(), wf), D(2024, 6, 1))).key == (
        "conversion_application"
    )


def test_approval_deadline_shows_its_maximum(tree, make_member, tmp_path):
    case = imported(tmp_path, "admission_vote")
    wf = load_workflow()
    main = primary(next_steps(wf, state_of(case, case.steps.all(), wf), D(2024, 7, 1)))
    assert main.due_by == D(2024, 6, 25) and main.latest_by == D(2024, 9, 25) and main.overdue
    assert main.deadline_of.key == "approval" and main.rule == "DEV-15"


def test_the_case_page_shows_the_deadline_and_the_implied_steps(client, users, tmp_path):
    case = imported(tmp_path, "admission_vote", org_code="A1")
    client.force_login(users["branch_a1"])
    html = client.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert 'data-testid="implied-steps"' in html and "党委预审" in html and "填写入党志愿书" in html
    assert "已逾期（应于 2024-06-25 前）" in html and "“党委审批”的期限" in html
    assert "特殊情况最迟 2024-09-25" in html and "DEV-15" in html
    branch = client.get(reverse("pipeline:index") + f"?org={case.org_id}").content.decode()
    assert "党委派人谈话" in branch and "已逾期（应于 2024-06-25 前）" in branch


@pytest.mark.parametrize("version", [4, 5])
def test_pipe_results_are_the_same_for_both_paths(tree, make_member, tmp_path, version):
    """The PIPE-* facts read the dated steps, which both paths record alike: the published verdicts do not move
    (v4) and v5 gives the same."""
    imported(tmp_path, "oath")
    stepwise(tree, make_member, "oath")
    ruleset = load_ruleset(version)
    for year, as_of in ((2024, D(2024, 12, 31)), (2025, D(2025, 6, 30))):
        ev = evaluate(Org.objects.filter(code__in=["A1", "A2"]), year=year, as_of=as_of, ruleset=ruleset)
        for rule in ("PIPE-TALK-1M", "PIPE-ASSESS-6M", "PIPE-APPROVAL-3M", "PIPE-PROBATION-DUE"):
            by_org = {r.org.code: r for r in ev.for_rule(rule)}
            mine, theirs = by_org["A2"], by_org["A1"]
            assert mine.status == theirs.status, (rule, year)
            assert [m.replace("导入丙", "某") for m in mine.missing] == [
                m.replace("逐步丁", "某") for m in theirs.missing
            ]
    probation = {
        r.org.code: r.status
        for r in evaluate(
            Org.objects.filter(code__in=["A1", "A2"]), year=2025, as_of=D(2025, 6, 30), ruleset=ruleset
        ).for_rule("PIPE-PROBATION-DUE")
    }
    assert probation == {"A1": "fail", "A2": "fail"}  # the probation ended on 2025-03-25 without the 支部大会
