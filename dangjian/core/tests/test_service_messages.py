"""Refusals and import messages in both languages: the Chinese exactly as it always read (the default), the
English from locale/en. One representative refusal per app, then a sweep of refusals triggered in English
with ASCII data: none leaves a Chinese character (or Chinese punctuation) in the sentence, except the
data it interpolates on purpose (workflow step names, the labels an Excel file must carry)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from fractions import Fraction

import pytest
from django.utils import translation

from dangjian.conftest import unique_id_number
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.xlsx import CellError

CJK = re.compile(
    r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
)  # CJK ideographs, 、。 and full-width ：（）；，


def refusal(call: Callable, *args, **kwargs) -> str:
    """The message of the ServiceError (or OutOfScope) the call raises."""
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return info.value.message


def cell_error(parser, value) -> str:
    with pytest.raises(CellError) as info:
        parser.parse(value)
    return info.value.message


def both(produce: Callable[[], str]) -> tuple[str, str]:
    """The message in the default language (Chinese) and in English."""
    chinese = produce()
    with translation.override("en"):
        english = produce()
    return chinese, english


def election_params(**overrides):
    from dangjian.elections.params import ElectionParams

    values = {
        "months_ahead": 3,
        "max_adjust_months": 12,
        "quorum": Fraction(4, 5),
        "margin_percent": 20,
        "threshold": Fraction(1, 2),
        "threshold_basis": "expected",
    }
    return ElectionParams(**{**values, **overrides})


def activist_case(**overrides):
    """A 发展党员 case at 入党积极分子, made one on 2025-03-01, with the other steps 确定为发展对象 requires."""
    from dangjian.pipeline.progress import CaseState, StepRecord

    records = (
        StepRecord("application", dt.date(2024, 1, 5)),
        StepRecord("talk", dt.date(2024, 1, 20)),
        StepRecord("activist", dt.date(2025, 3, 1)),
        StepRecord("assessment", dt.date(2025, 9, 1)),
        StepRecord("opinions", dt.date(2026, 1, 5)),
    )
    return CaseState(
        **{"stage": "activist", "status": "open", "probation_end": None, "records": records, **overrides}
    )


# --- one representative refusal per app ---------------------------------------------------------------------


def test_orgs_placement(tree):
    from dangjian.orgs.services import validate_placement

    chinese, english = both(lambda: refusal(validate_placement, "zhibu", tree.gw))
    assert chinese == "党支部只能设在党委或党总支之下，不能设在工委“市级机关工作党委”之下。"
    assert english == (
        "A Party Branch can only be placed under a Party Committee or General Party Branch, "
        "not under the Working Committee of Municipal Organs “市级机关工作党委”."
    )


def test_members_organisation(tree):
    from dangjian.members.services import validate_member_org

    chinese, english = both(lambda: refusal(validate_member_org, tree.a))
    assert chinese == "党员只能编入党支部或党小组，“甲委机关党委”是党委。"
    assert english == (
        "Party members can only be placed in a Party Branch or a Party Group; “甲委机关党委” is a Party Committee."
    )


def test_meetings_types_of_the_organisation(tree):
    from dangjian.meetings.services import _validate

    data = {"org": tree.a_dz, "date": dt.date(2025, 5, 6), "topic": "学习"}
    chinese, english = both(lambda: refusal(_validate, data, ["assembly"]))
    assert chinese == "党组不召开“支部党员大会”（甲委党组可记录：党课、民主生活会、理论学习中心组学习）。"
    assert english == (
        "A Leading Party Members' Group does not hold “Branch general meeting” "
        "(甲委党组 can record: Party lecture, Democratic life meeting, Theory study group session)."
    )


def test_dues_payment_window():
    from dangjian.dues.services import check_payment_window

    late = (dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 9, 15))
    chinese, english = both(lambda: refusal(check_payment_window, *late))
    assert chinese == (
        "补交党费的时间一般不得超过 6 个月：所属月份自 2026-01 起，比缴纳月份 2026-09 早 8 个月；"
        "2026-09 缴纳的党费最早可补交到 2026-03。"
    )
    assert english == (
        "Party dues are normally paid late by no more than 6 months: the months covered start in "
        "2026-01, 8 months before the payment month 2026-09; dues paid in 2026-09 can go back to 2026-03 at "
        "the earliest."
    )


def test_pipeline_minimum_delay():
    from dangjian.pipeline.progress import order_refusal
    from dangjian.pipeline.workflow import load_workflow

    wf = load_workflow()
    chinese, english = both(
        lambda: order_refusal(wf, wf.step("candidate"), activist_case(), dt.date(2026, 1, 10))
    )
    assert chinese == "“确定为发展对象”须在“确定为入党积极分子”满1年后（DEV-07），最早可于2026-03-01登记。"
    assert english == (
        "“确定为发展对象” must come at least 1 year after “确定为入党积极分子” (DEV-07); "
        "it can be recorded from 2026-03-01 at the earliest."
    )


def test_movements_status_unchanged(tree, make_member, today):
    from dangjian.movements.services import change_status

    member = make_member(tree.a1, name="张三")

    def produce():
        return refusal(
            change_status,
            actor=None,
            member=member,
            status="normal",
            effective_on=today,
            decided_on=today,
            decision_body="甲一支部党员大会",
        )

    chinese, english = both(produce)
    assert chinese == "张三的党籍状态已是“正常”。"
    assert english == "The membership status of 张三 is already “Normal”."


def test_elections_quorum_check():
    from dangjian.elections.tally import quorum_check

    chinese, english = both(lambda: quorum_check(10, 8, election_params()).message)
    assert (
        chinese
        == "ELECT-QUORUM：到会人数不足，选举无效：应到会10人，实到会8人，须超过4/5（至少9人）（EL-09）。"
    )
    assert english == (
        "ELECT-QUORUM: not enough voters present, the election is invalid: "
        "10 expected, 8 present; more than 4/5 must be present (at least 9) (EL-09)."
    )


def test_training_study_figures():
    from dangjian.training.services import record_study

    def produce():
        return refusal(record_study, actor=None, member=None, platform="xuexi", period="2025", points="很多")

    chinese, english = both(produce)
    assert chinese == "积分“很多”不是有效数字。"
    assert english == "“很多” is not a valid number of points."


def test_talks_only_in_a_branch(tree, today):
    from dangjian.talks.services import record_talk

    chinese, english = both(
        lambda: refusal(record_talk, actor=None, org=tree.a1g1, date=today, participants=[])
    )
    assert chinese == "只能为党支部登记，“甲一第一党小组”是党小组。"
    assert english == "This can only be recorded for a Party Branch; “甲一第一党小组” is a Party Group."


def test_accounts_scope(tree, users):
    from dangjian.accounts.scope import require_org
    from dangjian.accounts.services import assign_role

    def outside() -> str:
        with pytest.raises(OutOfScope) as info:
            require_org(users["branch_a2"], tree.a1)
        return info.value.message

    assert both(outside) == (
        "超出您的管理范围，操作未执行。",
        "This is outside your scope; nothing was done.",
    )
    chinese, english = both(
        lambda: refusal(assign_role, actor=None, user=users["norole"], role="branch_admin", org=tree.a)
    )
    assert chinese == "支部管理员只能授权在党支部上。"
    assert (
        english
        == "The role “Branch administrator” can only be granted on these organisation types: Party Branch."
    )


def test_import_cell_error(tree, tmp_path):
    """The sentence changes language; the row format follows it, the column header stays as the file has it."""
    from dangjian.core.imports import run_import
    from dangjian.core.tests.xlsx_files import write_xlsx

    source = write_xlsx(
        tmp_path / "members.xlsx",
        [
            {
                "姓名": "王五",
                "身份证号": unique_id_number(),
                "人员类别": "正式党员",
                "入党日期": "2021-13-01",
                "转正日期": "2022-07-01",
                "所在组织编码": "A1",
            }
        ],
    )

    def produce() -> str:
        result = run_import("members", source, actor=None, dry_run=True)
        assert [e.column for e in result.errors] == ["入党日期"]
        return str(result.errors[0])

    chinese, english = both(produce)
    assert chinese == "第 2 行 入党日期：“2021-13-01”不是有效日期。"
    assert english == "Row 2, 入党日期: “2021-13-01” is not a valid date."


def test_id_number_reasons_and_delays_read_naturally():
    from dangjian.core.xlsx import IdNumber
    from dangjian.pipeline.workflow import Delay, describe_delay

    chinese, english = both(lambda: cell_error(IdNumber(), 11010519491231002))
    assert chinese == "身份证号应为18位，实际17位（该单元格是数字格式，请设为文本格式）。"
    assert (
        english
        == "The ID number should have 18 characters but has 17 (this cell is in number format: format it as text)."
    )
    delay = Delay(after="activist", months=24, working_days=1, rule="DEV-07")
    assert both(lambda: describe_delay(delay)) == ("2年1个工作日", "2 years and 1 working day")


# --- the sweep: many refusals in English, ASCII data, no Chinese left ----------------------------------------


@pytest.fixture
def ascii_world(db):
    """An organisation tree and members whose names and codes are ASCII."""
    from dangjian.members.services import create_member
    from dangjian.orgs.services import create_org

    def org(code, name, type_, parent=None):
        return create_org(
            actor=None,
            data={
                "code": code,
                "name": name,
                "type": type_,
                "parent": parent,
                "founded_on": dt.date(2018, 3, 1),
            },
        )

    gw = org("GW", "Municipal Committee", "gongwei")
    dz = org("DZ", "Leading Group", "dangzu", gw)
    dw = org("DW", "Bureau Committee", "dangwei", gw)
    zb = org("ZB", "Branch One", "zhibu", dw)
    zb2 = org("ZB2", "Branch Two", "zhibu", dw)
    xz = org("XZ", "Group One", "xiaozu", zb)

    def member(name, branch):
        return create_member(
            actor=None,
            data={
                "name": name,
                "id_number": unique_id_number(),
                "category": "formal",
                "joined_on": dt.date(2010, 7, 1),
                "confirmed_on": dt.date(2011, 7, 1),
                "org": branch,
                "work_status": "active",
            },
        )

    return {
        "gw": gw,
        "dz": dz,
        "dw": dw,
        "zb": zb,
        "zb2": zb2,
        "xz": xz,
        "zhang": member("Zhang San", zb),
        "li": member("Li Si", zb),
        "wang": member("Wang Wu", zb2),
    }


def sweep_cases(today, w, make_user):
    """(name, produce, interpolated data) for the sweep; `produce` returns the message or a list of messages."""
    from dangjian.accounts.scope import require_org
    from dangjian.accounts.services import assign_role, create_user
    from dangjian.core.imports import get_importer, run_import
    from dangjian.core.xlsx import Choice, Date, Integer, Text, YesNo
    from dangjian.dues import services as dues
    from dangjian.dues.xlsx import Money, Month
    from dangjian.elections import services as elections
    from dangjian.elections.tally import Entry, tally
    from dangjian.meetings import services as meetings
    from dangjian.meetings.xlsx import Absentees, MeetingTypes
    from dangjian.members import services as members
    from dangjian.members.choices import Category
    from dangjian.movements import services as movements
    from dangjian.orgs import services as orgs
    from dangjian.pipeline import services as pipeline
    from dangjian.pipeline.progress import StepRecord, order_refusal
    from dangjian.pipeline.workflow import load_workflow
    from dangjian.talks import services as talks
    from dangjian.training import services as training

    wf = load_workflow()
    outsider = make_user("outsider", "branch_admin", w["zb2"])
    member_data = {
        "name": "Zhao Liu",
        "id_number": "123",
        "category": "formal",
        "joined_on": dt.date(2010, 7, 1),
        "confirmed_on": dt.date(2011, 7, 1),
        "org": w["zb"],
        "work_status": "active",
    }

    def left_party_then_restored():
        movements.change_status(
            actor=None,
            member=w["li"],
            status="left_party",
            effective_on=today,
            decided_on=today,
            decision_body="Branch One general meeting",
            outcome="expelled",
        )
        w["li"].refresh_from_db()
        return refusal(
            movements.change_status,
            actor=None,
            member=w["li"],
            status="normal",
            effective_on=today,
            decided_on=today,
            decision_body="Branch One general meeting",
        )

    def election_checks():
        entries = [Entry(1, "Chen A", 3, 2), Entry(2, "Chen B", 3, 9), Entry(3, "Chen C", 1, 9)]
        result = tally(
            expected=10,
            present=6,
            seats=3,
            ballots_issued=6,
            ballots_returned=7,
            entries=entries,
            has_preselection=True,
            params=election_params(),
        )
        return [c.message for c in result.checks] + result.notes

    def unknown_kind():
        with pytest.raises(ValueError) as info:
            get_importer("x")
        return str(info.value)

    def unknown_column(tmp):
        from dangjian.core.tests.xlsx_files import write_xlsx

        source = write_xlsx(tmp, [{"Colour": "red"}])
        result = run_import("orgs", source, actor=None, dry_run=True)
        return result.warnings + [str(e) for e in result.errors]

    category_labels = ["正式党员", "预备党员"]
    meeting_labels = ["支部党员大会", "支部委员会", "党小组会", "党课", "主题党日"]
    meeting_labels += ["组织生活会", "民主评议党员", "民主生活会", "理论学习中心组学习", "谈心谈话"]
    step_names = [s.name for s in wf.steps]
    headers = ["组织编码", "组织名称", "组织类型"]

    return [
        # orgs
        ("placement", lambda: refusal(orgs.validate_placement, "zhibu", w["gw"]), []),
        ("parent missing", lambda: refusal(orgs.validate_placement, "zhibu", None), []),
        ("root", lambda: refusal(orgs.validate_placement, "gongwei", w["dw"]), []),
        (
            "code taken",
            lambda: refusal(
                orgs.create_org,
                actor=None,
                data={"code": "ZB", "name": "X", "type": "zhibu", "parent": w["dw"]},
            ),
            [],
        ),
        (
            "post title",
            lambda: refusal(
                orgs.create_post,
                actor=None,
                data={"member": w["zhang"], "org": w["xz"], "title": "shuji", "started_on": today},
            ),
            [],
        ),
        ("delete org", lambda: refusal(orgs.delete_org, actor=None, org=w["zb"]), []),
        # members
        ("member org", lambda: refusal(members.validate_member_org, w["dw"]), []),
        ("id number", lambda: refusal(members.create_member, actor=None, data=member_data), []),
        ("phone", lambda: refusal(members.validate_phone, "12"), []),
        (
            "scope",
            lambda: refusal(
                members.create_member, actor=outsider, data={**member_data, "id_number": unique_id_number()}
            ),
            [],
        ),
        # meetings
        (
            "meeting types",
            lambda: refusal(meetings._validate, {"org": w["dz"], "date": today, "topic": "x"}, ["assembly"]),
            [],
        ),
        (
            "absentee",
            lambda: refusal(
                meetings.create_meeting,
                actor=None,
                data={"org": w["zb"], "date": today, "topic": "Study"},
                types=["assembly"],
                absentees={w["wang"].pk: ""},
            ),
            [],
        ),
        (
            "founded",
            lambda: refusal(
                meetings._validate, {"org": w["zb"], "date": dt.date(2017, 1, 1), "topic": "x"}, ["assembly"]
            ),
            [],
        ),
        # dues
        ("months", lambda: refusal(dues.parse_months, "2026-03~2026-01"), []),
        (
            "advance",
            lambda: refusal(
                dues.check_payment_window, today.replace(day=1), dt.date(today.year + 2, 1, 1), today
            ),
            [],
        ),
        (
            "amount",
            lambda: refusal(
                dues.record_payment,
                actor=None,
                member=w["zhang"],
                months=f"{today:%Y-%m}",
                amount="0",
                paid_on=today,
                method="cash",
            ),
            [],
        ),
        ("collection day", lambda: refusal(dues.set_collection_day, actor=None, org=w["dw"], day=5), []),
        (
            "relief",
            lambda: refusal(
                dues.record_relief,
                actor=None,
                member=w["zhang"],
                kind="reduce",
                start_month=dt.date(2026, 1, 1),
                end_month=dt.date(2026, 3, 1),
                approved_by=w["dw"],
                approved_on=today,
                monthly_amount="-1",
            ),
            [],
        ),
        # pipeline
        (
            "delay",
            lambda: order_refusal(wf, wf.step("candidate"), activist_case(), dt.date(2026, 1, 10)),
            step_names,
        ),
        ("stage", lambda: order_refusal(wf, wf.step("sponsors"), activist_case(), today), step_names),
        (
            "probation end",
            lambda: order_refusal(
                wf,
                wf.step("conversion_vote"),
                activist_case(
                    stage="probationary",
                    status="admitted",
                    probation_end=today + dt.timedelta(days=30),
                    records=(*activist_case().records, StepRecord("conversion_application", today)),
                ),
                today,
            ),
            step_names,
        ),
        ("branch", lambda: refusal(pipeline.validate_branch, w["dw"]), []),
        (
            "vote",
            lambda: refusal(
                pipeline.check_vote,
                wf.step("admission_vote"),
                pipeline.StepData(expected_voters=10, present_voters=5, yes_votes=5),
            ),
            [],
        ),
        (
            "contacts",
            lambda: refusal(pipeline.check_data, wf.step("activist"), pipeline.StepData(), today),
            [],
        ),
        # movements
        (
            "same status",
            lambda: refusal(
                movements.change_status,
                actor=None,
                member=w["zhang"],
                status="normal",
                effective_on=today,
                decided_on=today,
                decision_body="x",
            ),
            [],
        ),
        ("left the Party", left_party_then_restored, []),
        (
            "receiving org",
            lambda: refusal(
                movements.start_transfer,
                actor=None,
                member=w["zhang"],
                to_org=w["dw"],
                started_on=today,
                reason="Move",
            ),
            [],
        ),
        (
            "departure date",
            lambda: refusal(
                movements.start_stint, actor=None, member=w["zhang"], destination="Beijing", left_on=None
            ),
            [],
        ),
        (
            "purpose abroad",
            lambda: refusal(
                movements.start_stint,
                actor=None,
                member=w["zhang"],
                destination="London",
                abroad=True,
                left_on=today,
            ),
            [],
        ),
        (
            "purpose at home",
            lambda: refusal(
                movements.start_stint,
                actor=None,
                member=w["zhang"],
                destination="Beijing",
                abroad_purpose="study",
                left_on=today,
            ),
            [],
        ),
        (
            "decision before leaving",
            lambda: refusal(
                movements.record_stint_decision,
                actor=None,
                stint=movements.start_stint(
                    actor=None,
                    member=w["wang"],
                    destination="London",
                    abroad=True,
                    abroad_purpose="study",
                    left_on=dt.date(2020, 1, 10),
                ),
                decided_on=dt.date(2019, 1, 1),
                decision="Membership kept",
            ),
            [],
        ),
        # pipeline: the approving organisation; a step an imported date implies
        (
            "approver",
            lambda: refusal(pipeline.check_data, wf.step("approval"), pipeline.StepData(), today),
            [],
        ),
        (
            "no approver for this step",
            lambda: refusal(
                pipeline.set_approver,
                actor=None,
                step=pipeline.open_case(
                    actor=None,
                    org=w["zb"],
                    name="Chen Applicant",
                    id_number=unique_id_number(),
                    applied_on=today - dt.timedelta(days=3),
                ).steps.get(),
                approver_org=w["dw"],
            ),
            step_names,
        ),
        (
            "implied step",
            lambda: order_refusal(
                wf,
                wf.step("party_talk"),
                activist_case(
                    stage="probationary",
                    status="admitted",
                    records=(StepRecord("admission_vote", today), StepRecord("approval", today)),
                    implied=frozenset({"party_talk"}),
                ),
                today,
            ),
            step_names,
        ),
        # elections
        ("checks", election_checks, []),
        (
            "no elections",
            lambda: refusal(
                elections.prepare_election,
                org=w["xz"],
                held_on=today,
                present=1,
                seats=1,
                ballots_issued=1,
                ballots_returned=1,
                candidates=[],
            ),
            [],
        ),
        (
            "ballots",
            lambda: refusal(
                elections.prepare_election,
                org=w["zb"],
                held_on=today,
                present=2,
                seats=1,
                ballots_issued=None,
                ballots_returned=1,
                candidates=[],
            ),
            [],
        ),
        # training
        ("period", lambda: refusal(training.parse_period, "2026-13"), []),
        (
            "points",
            lambda: refusal(
                training.record_study, actor=None, member=None, platform="xuexi", period="2025", points="x"
            ),
            [],
        ),
        ("training name", lambda: refusal(training.create_training, actor=None, data={}), []),
        # talks
        (
            "talk branch",
            lambda: refusal(talks.record_talk, actor=None, org=w["xz"], date=today, participants=[]),
            [],
        ),
        (
            "talk date",
            lambda: refusal(
                talks.record_talk, actor=None, org=w["zb"], date=today + dt.timedelta(days=1), participants=[]
            ),
            [],
        ),
        (
            "talk outsiders",
            lambda: refusal(
                talks.record_talk, actor=None, org=w["zb"], date=today, participants=[w["zhang"], w["wang"]]
            ),
            [],
        ),
        (
            "pair",
            lambda: refusal(
                talks.create_pair,
                actor=None,
                org=w["zb"],
                mentor=w["zhang"],
                mentee=None,
                started_on=today,
                goal="Learn",
            ),
            [],
        ),
        (
            "youth group",
            lambda: refusal(
                talks.create_youth_group,
                actor=None,
                org=w["dz"],
                name="G",
                leader=w["zhang"],
                members=[],
                founded_on=today,
            ),
            [],
        ),
        # accounts
        ("out of scope", lambda: refusal(require_org, outsider, w["zb"]), []),
        (
            "role",
            lambda: refusal(assign_role, actor=None, user=outsider, role="branch_admin", org=w["dw"]),
            [],
        ),
        ("username", lambda: refusal(create_user, actor=None, username="outsider", password="x"), []),
        # Excel cells and files
        ("date cell", lambda: cell_error(Date(), "2021-13-01"), []),
        ("text cell", lambda: cell_error(Text(3), "abcd"), []),
        ("integer cell", lambda: cell_error(Integer(), "x"), []),
        ("yes/no cell", lambda: cell_error(YesNo(), "x"), ["是", "否"]),
        ("choice cell", lambda: cell_error(Choice(Category), "x"), category_labels),
        ("meeting types cell", lambda: cell_error(MeetingTypes(), "x"), [*meeting_labels, "、"]),
        ("absentees cell", lambda: cell_error(Absentees(), "123、456"), []),
        ("money cell", lambda: cell_error(Money(), "-5"), []),
        ("month cell", lambda: cell_error(Month(), "2026-13"), []),
        ("import kind", lambda: unknown_kind(), []),
        ("unknown column", lambda: unknown_column(w["tmp"]), headers),
    ]


def test_sweep_of_refusals_in_english_leaves_no_chinese(ascii_world, make_user, tmp_path, today):
    ascii_world["tmp"] = tmp_path / "orgs.xlsx"
    cases = sweep_cases(today, ascii_world, make_user)
    assert len(cases) >= 50
    with translation.override("en"):
        for name, produce, data in cases:
            produced = produce()
            messages = produced if isinstance(produced, list) else [produced]
            assert messages and all(messages), name
            for message in messages:
                # the data a message interpolates may be Chinese (longest first: a label may contain another)
                stripped = message
                for item in sorted(data, key=len, reverse=True):
                    stripped = stripped.replace(item, "")
                assert not CJK.search(stripped), f"{name}: {message}"
