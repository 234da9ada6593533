"""Check messages are kept language-neutral and shown in the viewer's language: in English no message has a
Chinese character except data (here every name is ASCII, so none at all), evaluated live or read from results
kept by a refresh that ran in Chinese; the Chinese reads as it always did."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from dangjian.compliance import kept
from dangjian.compliance.evaluator import evaluate, todo
from dangjian.compliance.models import KeptResult, KeptTodo, ResultChange
from dangjian.compliance.rulebook import load_ruleset
from dangjian.dues.services import declare_base, record_payment
from dangjian.meetings.services import create_meeting
from dangjian.movements.services import start_stint
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post

Y = 2025
END = dt.date(Y, 12, 31)
ON = dt.date(Y, 5, 20)  # the 待办 of a day in the year
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")

ASSEMBLY_ZH = f"{Y}年缺少3个季度的支部党员大会：{Y}-Q2、{Y}-Q3、{Y}-Q4。"
ASSEMBLY_EN = f"In {Y} the Branch general meeting is missing for 3 quarters: {Y}-Q2, {Y}-Q3, {Y}-Q4."


@pytest.fixture
def ascii_branch(tree, make_member):
    """A1 with ASCII names: a secretary who lectured, a short assembly, dues partly declared and paid, a member
    abroad without contact and one away at a fixed place; nothing recorded for the other domains."""
    alice, bob, carol = (make_member(tree.a1, name=n) for n in ("Alice Wang", "Bob Li", "Carol Zhang"))
    dan = make_member(tree.a1g1, name="Dan Zhao")
    make_member(
        tree.a1, name="Eve Sun", category="probationary", confirmed_on=None, joined_on=dt.date(2024, 12, 1)
    )
    create_post(
        actor=None,
        data={"member": alice, "org": tree.a1, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
    )
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(Y, 3, 5), "topic": "Assembly"},
        types=["assembly"],
        absentees={bob.pk: "leave", carol.pk: "leave", dan.pk: "leave"},
    )
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(Y, 4, 10), "topic": "Lecture", "lecturer": alice},
        types=["lecture"],
    )
    for member in (alice, bob):
        declare_base(
            actor=None,
            member=member,
            year=Y,
            category="active",
            monthly_base=Decimal("4000.00"),
            effective_month=dt.date(Y, 1, 1),
        )
    record_payment(
        actor=None,
        member=alice,
        months=f"{Y}-01~{Y}-03",
        amount=Decimal("120.00"),
        paid_on=dt.date(Y, 3, 20),
        method="transfer",
    )
    start_stint(
        actor=None,
        member=bob,
        destination="London",
        left_on=dt.date(Y, 2, 1),
        abroad=True,
        abroad_purpose="work",
    )
    start_stint(actor=None, member=carol, destination="Beijing", left_on=dt.date(Y, 1, 10), fixed_place=True)
    return tree


def texts(evaluation, items) -> list[tuple]:
    """(organisation, rule, status, message) and (organisation, rule, period, message) in the active language."""
    results = sorted((r.org.code, r.rule.id, r.status, str(r.message)) for r in evaluation.results)
    return results + sorted((i.org.code, i.rule.id, i.period, str(i.message)) for i in items)


def live(on: dt.date = END) -> list[tuple]:
    orgs = Org.objects.all()
    return texts(evaluate(orgs, year=Y, as_of=on), todo(orgs, on=on))


def stored() -> list[tuple]:
    orgs, ruleset = Org.objects.all(), load_ruleset()
    meta = kept.kept_meta(orgs, year=Y, ruleset=ruleset)
    assert meta is not None
    items = kept.kept_todo(orgs, ruleset=ruleset)
    return texts(kept.kept_evaluation(orgs, year=Y, ruleset=ruleset, meta=meta), items)


def chinese_in(rows: list[tuple]) -> list[tuple]:
    return [row for row in rows if CJK.search(row[-1])]


def message(rows: list[tuple], code: str, rule_id: str) -> str:
    return next(row[-1] for row in rows if row[:2] == (code, rule_id))


def test_live_evaluation_in_english_has_no_chinese(ascii_branch):
    with translation.override("en"):
        rows, during = live(), live(ON)
        due = [row[-1] for row in during if row[0] == "A1" and row[2] in (f"{Y}-05", f"{Y}-Q2", str(Y))]
    assert chinese_in(rows) == [] and chinese_in(during) == []
    statuses = {row[2] for row in rows + during}
    assert {"pass", "fail", "pending", "not_applicable"} <= statuses
    assert message(rows, "A1", "MTG-ASSEMBLY-QUARTERLY") == ASSEMBLY_EN
    assert message(rows, "A1", "MTG-ASSEMBLY-QUORUM") == (
        "1 meeting (Branch general meeting) did not reach the required attendance (more than half of the full "
        f"members expected were present): {Y}-03-05 (expected 4, present 1)."
    )
    assert message(rows, "A1", "LECTURE-SECRETARY-ANNUAL") == (
        f"Met: the Secretary has given a Party lecture this year ({Y}-04-10)."
    )
    assert message(rows, "A1", "MEM-MOBILE-CONTACT") == (
        "1 Party member abroad has not been contacted for more than 6 months: "
        f"Bob Li (no contact recorded since leaving the country on {Y}-02-01)."
    )
    assert f"Still to do this month ({Y}-05): hold the Theme Party Day." in due
    assert f"Still to do this quarter ({Y}-Q2): hold the Branch general meeting." in due
    with translation.override("zh-hans"):
        assert message(live(), "A1", "MTG-ASSEMBLY-QUARTERLY") == ASSEMBLY_ZH


def test_results_kept_in_chinese_are_shown_in_english(ascii_branch):
    with translation.override("zh-hans"):
        kept.refresh(Org.objects.all(), on=END, year=Y)
        assert stored() == live()
        assert message(stored(), "A1", "MTG-ASSEMBLY-QUARTERLY") == ASSEMBLY_ZH
    # what is kept is the msgid and its parameters, not a text in the refresh's language
    kept_messages = [*KeptResult.objects.filter(year=Y).values_list("message", flat=True)]
    kept_messages += KeptTodo.objects.values_list("message", flat=True)
    assert kept_messages and all(isinstance(m, dict) and "m" in m for m in kept_messages)
    with translation.override("en"):
        english = stored()
        assert english == live()
    assert chinese_in(english) == []
    assert message(english, "A1", "MTG-ASSEMBLY-QUARTERLY") == ASSEMBLY_EN


def test_pages_and_export_show_kept_messages_in_the_viewers_language(client, ascii_branch, make_user):
    with translation.override("zh-hans"):
        kept.refresh(Org.objects.all(), on=END, year=Y)
    client.force_login(make_user("gw", "gongwei_admin", ascii_branch.gw))
    page = reverse("compliance:org", args=[ascii_branch.a1.pk])
    html = client.get(page, {"year": Y}).content.decode()
    assert ASSEMBLY_ZH in html
    client.post(reverse("set_language"), {"language": "en", "next": page})
    html = client.get(page, {"year": Y}).content.decode()
    assert ASSEMBLY_EN in html and ASSEMBLY_ZH not in html
    response = client.get(reverse("compliance:export"), {"year": Y, "org": ascii_branch.a1.pk})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert next(r[10] for r in rows if r[0] == "MTG-ASSEMBLY-QUARTERLY" and r[5] == "A1") == ASSEMBLY_EN
    assert [r[10] for r in rows[1:] if CJK.search(r[10])] == []


def test_a_plain_text_kept_before_messages_were_translatable_is_shown_as_it_is(ascii_branch):
    with translation.override("zh-hans"):
        kept.refresh(Org.objects.filter(code="A1"), on=END, year=Y)
    row = KeptResult.objects.get(year=Y, org__code="A1", rule_id="MTG-ASSEMBLY-QUARTERLY")
    legacy = (
        row.unit_key,
        row.org_path,
        row.status,
        row.missing,
        row.evidence,
        ASSEMBLY_ZH,
    )  # as kept before
    KeptResult.objects.filter(pk=row.pk).update(
        message=ASSEMBLY_ZH, digest=kept._digest(legacy), since=dt.date(Y, 6, 30)
    )
    changes = ResultChange.objects.count()
    with translation.override("en"):
        assert message(stored(), "A1", "MTG-ASSEMBLY-QUARTERLY") == ASSEMBLY_ZH
    # the next refresh replaces it (its digest no longer matches), keeping the date it took its status
    with translation.override("en"):
        kept.refresh(Org.objects.filter(code="A1"), on=END, year=Y)
    again = KeptResult.objects.get(year=Y, org__code="A1", rule_id="MTG-ASSEMBLY-QUARTERLY")
    assert isinstance(again.message, dict)
    assert again.since == dt.date(Y, 6, 30) and ResultChange.objects.count() == changes  # the same status
    with translation.override("en"):
        assert message(stored(), "A1", "MTG-ASSEMBLY-QUARTERLY") == ASSEMBLY_EN
