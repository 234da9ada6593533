"""PIPE-APPROVER-AUTHORISED (DEV-16): the approval of a 预备党员 names the organisation that approved, a 党委 above
the branch or the 工委 — never a 党总支 or a 党支部. The approving organisation is recorded as it was (审批党组织 on
the approval step, from the step form or the import's column) and judged by the rule, not refused."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dangjian.compliance.checks import REGISTRY
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.facts import OrgFacts, OrgRef
from dangjian.compliance.periods import Window
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import idcard
from dangjian.core.audit import AuditEvent
from dangjian.core.errors import ServiceError
from dangjian.core.imports import export_workbook, run_import
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.orgs.models import Org
from dangjian.pipeline.facts import Approval, CaseFacts, PipelineFacts
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.pipeline.selectors import approver_options, default_approver
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan

D = dt.date
RULE = "PIPE-APPROVER-AUTHORISED"
GW, A, ZZ = "00000001/", "00000001/00000003/", "00000001/00000003/00000005/"
BRANCH = OrgRef(4, "A1", "甲一支部", "zhibu", "00000001/00000003/00000004/", "")
UNDER_ZZ = OrgRef(6, "Z1", "总支下支部", "zhibu", ZZ + "00000006/", "")
WINDOW = Window(2026, D(2026, 8, 1), D(2026, 1, 1), D(2026, 8, 1))


def approval(day, name=None, type_=None, path=None, key="approval"):
    return Approval(key, day, name, type_, path)


def case(n, *approvals, closed_on=None):
    steps = tuple((a.key, a.date) for a in approvals)
    return CaseFacts(n, f"案例{n}", steps, closed_on, None, tuple(approvals))


def check(cases, ref=BRANCH, window=WINDOW, version=5):
    rule = load_ruleset(version).rule(RULE)
    facts = OrgFacts(ref=ref, extra=MappingProxyType({"pipeline": PipelineFacts(tuple(cases))}))
    return REGISTRY[rule.check].run(facts, window, rule.typed_params)


# --- on hand-built facts ---------------------------------------------------------------------------------


def test_pass_when_the_party_committee_above_or_the_gongwei_approved():
    out = check(
        [
            case(1, approval(D(2026, 3, 1), "甲委机关党委", "dangwei", A)),
            case(2, approval(D(2026, 4, 1), "市级机关工委", "gongwei", GW)),
        ]
    )
    assert out.status == "pass" and str(out.message) == "2 名预备党员均由上级党委（或工委）审批。"


def test_fail_for_a_general_branch_a_branch_another_committee_or_no_record():
    out = check(
        [
            case(1, approval(D(2026, 3, 1), "乙总支", "zongzhi", ZZ)),
            case(2, approval(D(2026, 3, 2), "甲一支部", "zhibu", BRANCH.path)),
            case(3, approval(D(2026, 3, 3), "乙委机关党委", "dangwei", "00000001/00000007/")),
            case(4, approval(D(2026, 3, 4))),
            case(5, approval(D(2026, 3, 5), "甲委机关党委", "dangwei", A)),
        ]
    )
    assert out.status == "fail"
    assert out.missing == [
        "案例1（2026-03-01由乙总支审批，党总支无权审批）",
        "案例2（2026-03-02由甲一支部审批，党支部无权审批）",
        "案例3（2026-03-03由乙委机关党委审批，该组织不是本支部的上级党委）",
        "案例4（2026-03-04审批，未登记审批党组织）",
    ]
    assert str(out.message).startswith("4 名预备党员的审批党组织不符合规定：案例1（")


def test_a_general_branch_above_the_branch_still_may_not_approve():
    out = check([case(1, approval(D(2026, 3, 1), "乙总支", "zongzhi", ZZ))], ref=UNDER_ZZ)
    assert out.status == "fail" and "党总支无权审批" in out.missing[0]
    assert (
        check([case(1, approval(D(2026, 3, 1), "甲委机关党委", "dangwei", A))], ref=UNDER_ZZ).status == "pass"
    )


def test_not_applicable_without_an_approval_in_the_window():
    assert check([]).status == "not_applicable"
    earlier = check([case(1, approval(D(2025, 12, 31), "乙总支", "zongzhi", ZZ))])
    assert earlier.status == "not_applicable"  # settled in an earlier year
    assert str(earlier.message) == "不适用：2026年截至2026-08-01没有审批预备党员。"
    dissolved = Window(2026, D(2026, 8, 1), D(2026, 1, 1), D(2026, 8, 1), dissolved_on=D(2026, 5, 1))
    assert check([case(1, approval(D(2026, 3, 1)))], window=dissolved).status == "not_applicable"
    group = OrgRef(8, "A1G1", "党小组", "xiaozu", BRANCH.path + "00000008/", "")
    other = OrgFacts(ref=group, extra=MappingProxyType({}))
    rule = load_ruleset(5).rule(RULE)
    assert REGISTRY[rule.check].run(other, WINDOW, rule.typed_params).status == "not_applicable"


def test_boundary_days_of_the_window():
    bad = ("乙总支", "zongzhi", ZZ)
    assert check([case(1, approval(D(2026, 1, 1), *bad))]).status == "fail"  # the first day counts
    assert check([case(1, approval(D(2025, 12, 31), *bad))]).status == "not_applicable"
    assert check([case(1, approval(D(2026, 8, 1), *bad))]).status == "fail"  # D itself counts
    # the facts hold steps dated by D only: one after D never reaches the check


def test_other_steps_and_closed_cases():
    # only the rule's step is checked; a case closed after its approval still had it approved
    assert check([case(1, approval(D(2026, 3, 1), key="conversion_approval"))]).status == "not_applicable"
    closed = case(1, approval(D(2026, 3, 1), "乙总支", "zongzhi", ZZ), closed_on=D(2026, 6, 1))
    assert check([closed]).status == "fail"


def test_the_rule_is_new_in_v5():
    assert RULE in {r.id for r in load_ruleset(5).rules}
    assert RULE not in {r.id for r in load_ruleset(4).rules}


# --- on the database --------------------------------------------------------------------------------------


def pid(seq):
    return idcard.make("310230", D(1995, 3, 3) + dt.timedelta(days=seq), seq % 999, seq % 2 == 0)


def admitted(org, make_member, seq, today):
    """A case in `org` admitted as 预备党员 40 days ago (so the approval can be dated in the year)."""
    people = [make_member(org, name=f"正式{seq}{i}") for i in range(3)]
    vote = today - dt.timedelta(days=40)
    applied = D(vote.year - 2, 1, 5)
    dates = plan(applied)
    shift = vote - dates["admission_vote"]
    dates = {k: v + shift for k, v in dates.items()}
    dates = {k: v for k, v in dates.items() if v <= vote}
    new = open_case(actor=None, org=org, name=f"预备{seq}", id_number=pid(seq), applied_on=applied + shift)
    advance(new, "admission_vote", dates, contacts=people[:1], sponsors=people[1:])
    record_step(actor=None, case=new, key="party_talk", on=vote + dt.timedelta(days=5))
    return new


def results(today, version=5):
    ev = evaluate(Org.objects.all(), year=today.year, as_of=today, ruleset=load_ruleset(version))
    return {r.org.code: r for r in ev.for_rule(RULE)}


@pytest.mark.django_db
def test_options_are_the_organisations_above_and_the_default_is_the_party_committee(tree):
    assert [o.code for o in approver_options(tree.b1)] == ["B-ZZ", "B", "GW"]
    assert default_approver(approver_options(tree.b1)).code == "B"
    assert default_approver(approver_options(tree.a1)).code == "A"


@pytest.mark.django_db
def test_recording_an_approval_needs_the_approving_organisation(tree, make_member, today):
    new = admitted(tree.a1, make_member, 1, today)
    with pytest.raises(ServiceError) as exc:
        record_step(actor=None, case=new, key="approval", on=today - dt.timedelta(days=10))
    assert exc.value.field == "approver_org" and "（DEV-16）" in exc.value.message
    assert not CaseStep.objects.filter(case=new, key="approval").exists()


@pytest.mark.django_db
def test_recorded_approvals_pass_or_fail(tree, make_member, today):
    a1 = admitted(tree.a1, make_member, 1, today)
    b1 = admitted(tree.b1, make_member, 2, today)
    on = today - dt.timedelta(days=10)
    record_step(actor=None, case=a1, key="approval", on=on, data=StepData(approver_org=tree.a))
    # recorded as it happened: the 党总支 is not refused, the rule lists it
    step = record_step(actor=None, case=b1, key="approval", on=on, data=StepData(approver_org=tree.b_zz))
    assert step.approver_org == tree.b_zz
    event = AuditEvent.objects.filter(object_type="pipeline.casestep", object_id=str(step.pk)).get()
    assert event.after["approver_org"] == "B-ZZ"
    found = results(today)
    assert found["A1"].status == "pass"
    assert found["B1"].status == "fail" and "由乙总支审批，党总支无权审批" in found["B1"].missing[0]
    assert found["A2"].status == "not_applicable"
    assert "B1" not in {
        r.org.code: r
        for r in evaluate(Org.objects.all(), year=today.year, as_of=today, ruleset=load_ruleset(4)).for_rule(
            RULE
        )
    }


def import_rows(approver: str | None, *, approval="2024-08-20"):
    row = {
        "身份证号": idcard.make("310230", D(1996, 4, 3), 3, True),
        "姓名": "导入丙",
        "组织编码": "B1",
        "当前阶段": "预备党员",
        "申请日期": "2023-01-05",
        "谈话日期": "2023-01-20",
        "确定积极分子日期": "2023-03-01",
        "确定发展对象日期": "2024-03-10",
        "接收预备党员日期": "2024-07-01",
        "党委审批日期": approval,
    }
    if approver is not None:
        row["审批党组织"] = approver
    return [row]


@pytest.mark.django_db
def test_import_column_recorded_filled_later_and_never_changed(tree, tmp_path):
    first = run_import(
        "dev-cases", write_xlsx(tmp_path / "a.xlsx", import_rows(None)), actor=None, dry_run=False
    )
    assert first.ok(), first.errors
    step = CaseStep.objects.get(case__name="导入丙", key="approval")
    assert step.approver_org is None
    # a later import of the same row gives the approval its organisation (an update)
    again = run_import(
        "dev-cases", write_xlsx(tmp_path / "b.xlsx", import_rows("B")), actor=None, dry_run=False
    )
    assert again.ok(), again.errors
    assert again.updated == 1
    step.refresh_from_db()
    assert step.approver_org == tree.b
    same = run_import(
        "dev-cases", write_xlsx(tmp_path / "c.xlsx", import_rows("B")), actor=None, dry_run=False
    )
    assert same.ok() and same.unchanged == 1
    # a different organisation for a recorded approval is an error naming the column
    other = run_import(
        "dev-cases", write_xlsx(tmp_path / "d.xlsx", import_rows("B-ZZ")), actor=None, dry_run=False
    )
    assert [(e.column, e.message) for e in other.errors] == [
        ("审批党组织", "审批党组织与已登记的审批党组织（乙委机关党委）不一致。")
    ]
    step.refresh_from_db()
    assert step.approver_org == tree.b


@pytest.mark.django_db
def test_import_errors_for_the_approver_column(tree, tmp_path):
    unknown = run_import(
        "dev-cases", write_xlsx(tmp_path / "a.xlsx", import_rows("NOPE")), actor=None, dry_run=False
    )
    assert [(e.column, e.message) for e in unknown.errors] == [("审批党组织", "组织编码“NOPE”不存在。")]
    rows = import_rows("B")
    del rows[0]["党委审批日期"]
    without_date = run_import("dev-cases", write_xlsx(tmp_path / "b.xlsx", rows), actor=None, dry_run=False)
    assert [(e.column, e.message) for e in without_date.errors] == [
        ("审批党组织", "填写了审批党组织，请同时填写党委审批日期。")
    ]
    assert not DevelopmentCase.objects.exists()


@pytest.mark.django_db
def test_imported_approvals_judged_by_the_rule(tree, tmp_path, today):
    """An imported approval by the 党总支 is recorded and listed; exported, the column round-trips."""
    day = (today - dt.timedelta(days=3)).isoformat()
    vote = (today - dt.timedelta(days=30)).isoformat()
    rows = import_rows("B-ZZ", approval=day)
    rows[0]["接收预备党员日期"] = vote
    rows[0]["确定发展对象日期"] = (today - dt.timedelta(days=120)).isoformat()
    rows[0]["确定积极分子日期"] = (today - dt.timedelta(days=120 + 400)).isoformat()
    rows[0]["谈话日期"] = (today - dt.timedelta(days=120 + 420)).isoformat()
    rows[0]["申请日期"] = (today - dt.timedelta(days=120 + 440)).isoformat()
    result = run_import("dev-cases", write_xlsx(tmp_path / "a.xlsx", rows), actor=None, dry_run=False)
    assert result.ok(), result.errors
    found = results(today)
    if today - dt.timedelta(days=3) >= D(today.year, 1, 1):
        assert found["B1"].status == "fail" and "乙总支" in found["B1"].missing[0]
    exported = save_bytes(tmp_path / "e.xlsx", export_workbook("dev-cases", DevelopmentCase.objects.all()))
    sheet = openpyxl.load_workbook(exported).active
    headers = [c.value for c in sheet[1]]
    assert headers[headers.index("党委审批日期") + 1] == "审批党组织"
    row = [c.value for c in sheet[2]]
    assert row[headers.index("审批党组织")] == "B-ZZ"
    again = run_import("dev-cases", exported, actor=None, dry_run=True)
    assert again.ok() and again.unchanged == 1


@pytest.mark.django_db
def test_the_step_form_offers_the_organisations_above_and_warns(client, users, tree, make_member, today):
    new = admitted(tree.a1, make_member, 1, today)
    client.force_login(users["dangwei_a"])  # the approval is the 党委's to record (require_higher)
    url = reverse("pipeline:detail", args=[new.pk])
    html = client.get(url + "?step=approval").content.decode()
    assert 'name="approver_org"' in html and "审批党组织" in html and "DEV-16" in html
    assert f'<option value="{tree.a.pk}" selected>' in html and f'value="{tree.gw.pk}"' in html
    assert f'value="{tree.a1.pk}"' not in html  # the branch itself is not offered
    on = (today - dt.timedelta(days=10)).isoformat()
    response = client.post(url, {"step": "approval", "date": on, "note": "", "approver_org": tree.a.pk})
    assert response.status_code == 302
    assert CaseStep.objects.get(case=new, key="approval").approver_org == tree.a
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    page = client.get(url).content.decode()
    assert "审批党组织：甲委机关党委" in page


@pytest.mark.django_db
def test_an_approval_by_a_general_branch_is_recorded_with_a_warning(
    client, make_user, tree, make_member, today
):
    new = admitted(tree.b1, make_member, 2, today)
    client.force_login(make_user("zz_admin", "dangwei_admin", tree.b))
    url = reverse("pipeline:detail", args=[new.pk])
    on = (today - dt.timedelta(days=10)).isoformat()
    response = client.post(url, {"step": "approval", "date": on, "note": "", "approver_org": tree.b_zz.pk})
    assert response.status_code == 302
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        "“乙总支”不是本支部的上级党委（或工委），无权审批预备党员（DEV-16），合规检查将列为未满足。"
    ]
    assert CaseStep.objects.get(case=new, key="approval").approver_org == tree.b_zz


@pytest.mark.django_db
def test_kept_results_follow_the_recorded_approval(
    tree, make_member, django_capture_on_commit_callbacks, today
):
    from dangjian.compliance import kept
    from dangjian.compliance.tests.test_kept import fresh, stored

    new = admitted(tree.b1, make_member, 3, today)
    kept.refresh()
    on = today - dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        record_step(actor=None, case=new, key="approval", on=on, data=StepData(approver_org=tree.b_zz))
    assert stored() == fresh()
    if on.year == today.year:
        assert {r[1]: r[2] for r in stored() if r[0] == tree.b1.pk}[RULE] == "fail"


def test_an_open_result_links_to_the_branch_cases():
    from dangjian.pipeline.rules import cases_link

    link = cases_link(None, BRANCH, "fail")
    assert link is not None and link.url == "/pipeline/?org=4" and link.label == "查看发展党员案例"
    assert cases_link(None, BRANCH, "pass") is None


@pytest.mark.django_db
def test_the_approver_of_a_recorded_approval_is_filled_in_on_the_case_page(client, users, tree, tmp_path):
    """An approval recorded (or imported) without its organisation: the case page says so and records it."""
    from dangjian.pipeline.services import set_approver

    rows = import_rows(None)
    rows[0]["组织编码"] = "A1"
    assert run_import("dev-cases", write_xlsx(tmp_path / "a.xlsx", rows), actor=None, dry_run=False).ok()
    new = DevelopmentCase.objects.get(name="导入丙")
    step = new.steps.get(key="approval")
    client.force_login(users["branch_a1"])
    url = reverse("pipeline:detail", args=[new.pk])
    html = client.get(url).content.decode()
    # the branch sees what is missing and who records it, with no form that the service would refuse
    assert 'data-testid="approver-missing"' in html and 'data-testid="approver-form"' not in html
    assert 'data-testid="approver-by-higher"' in html
    client.force_login(users["dangwei_a"])
    html = client.get(url).content.decode()
    assert 'data-testid="approver-missing"' in html and 'data-testid="approver-form"' in html
    target = reverse("pipeline:step_approver", args=[new.pk, step.pk])
    # another branch's administrator: the case is not theirs
    client.force_login(users["branch_a2"])
    assert client.post(target, {"approver_org": tree.a.pk}).status_code == 404
    client.force_login(users["dangwei_a"])
    refused = client.post(target, {"approver_org": tree.b.pk})  # not among the organisations above 甲一
    assert refused.status_code == 302
    step.refresh_from_db()
    assert step.approver_org is None
    done = client.post(target, {"approver_org": tree.a.pk})
    assert done.status_code == 302 and done.url == url
    step.refresh_from_db()
    assert step.approver_org == tree.a
    event = AuditEvent.objects.filter(
        object_type="pipeline.casestep", object_id=str(step.pk), action="update"
    ).get()
    assert (event.before, event.after, event.org_path) == (
        {"approver_org": ""},
        {"approver_org": "A"},
        tree.a1.path,
    )
    assert "审批党组织：甲委机关党委" in client.get(url).content.decode()
    # only a step that records an approver takes one; the service checks scope itself
    talk = new.steps.get(key="talk")
    with pytest.raises(ServiceError) as exc:
        set_approver(actor=None, step=talk, approver_org=tree.a)
    assert "不登记审批党组织" in exc.value.message
    with pytest.raises(ServiceError):
        set_approver(actor=None, step=step, approver_org=None)
    from dangjian.core.errors import OutOfScope

    with pytest.raises(OutOfScope):
        set_approver(actor=users["branch_a2"], step=step, approver_org=tree.gw)
    step.refresh_from_db()
    assert step.approver_org == tree.a
