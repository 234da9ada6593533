"""MEM-ABROAD-STUDY-5Y (EDU-02): a member abroad to study for more than 5 years without a decision recorded on
the stint is a suggestion for the branch (like 失联): the pure check at its boundary, the 出国（境）事由 and the
decision record (services with scope and audit), the pages and the command, the facts' query count, and the kept
results refreshed by the writes."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from types import MappingProxyType

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.compliance.evaluator import evaluate, run_check
from dangjian.compliance.facts import OrgFacts, OrgRef
from dangjian.compliance.periods import window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.test_kept import fresh, stored
from dangjian.core.audit import AuditEvent
from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.movements import selectors, services
from dangjian.movements.facts import AwayMember, MovementFacts, load_movement_facts
from dangjian.movements.models import MobileStint, StintDecision
from dangjian.orgs.models import Org

D = dt.date
RULE = "MEM-ABROAD-STUDY-5Y"


def run(away, as_of, dissolved_on=None, version=5):
    facts = OrgFacts(
        ref=OrgRef(1, "A1", "甲一支部", "zhibu", "00000001/", "甲委"),
        founded_on=D(2018, 3, 1),
        dissolved_on=dissolved_on,
        extra=MappingProxyType({"movements": MovementFacts(tuple(away))}),
    )
    window = window_for(as_of.year, as_of, facts.founded_on, dissolved_on)
    return run_check(load_ruleset(version).rule(RULE), facts, window)


LEFT = D(2021, 3, 1)
LEGACY_LEFT = D(2020, 1, 10)


def away(name="留学甲", left_on=LEFT, purpose="study", abroad=True, decided_on=None):
    return AwayMember(
        1, name, "英国伦敦", left_on, False, abroad, abroad_purpose=purpose, decided_on=decided_on
    )


# --- the check on hand-built facts ----------------------------------------------------------------------------


def test_the_rule_is_new_in_v5_and_advisory():
    rule = load_ruleset(5).rule(RULE)
    assert (rule.clause, rule.severity, rule.params, rule.applies_to) == (
        "（十二）",
        "advisory",
        {"study_years": 5},
        ["zhibu"],
    )
    assert "EDU-02" in rule.basis and "第二十四条" in rule.basis
    assert RULE not in {r.id for r in load_ruleset(4).rules}


def test_boundary_day_more_than_five_years():
    # left 1 March 2021: exactly 5 years on 1 March 2026 is not more than 5 years; 2 March is
    assert run([away()], D(2026, 3, 1)).status == "pass"
    out = run([away()], D(2026, 3, 2))
    assert out.status == "fail" and out.missing == ["留学甲"]
    assert str(out.message) == (
        "1名党员出国（境）学习超过5年仍未回国（境），尚未作出处理决定，建议支部研究：留学甲（2021-03-01出国（境）学习）。"
    )
    # 29 February: 5 years later is 28 February 2025 (clamped), more than 5 years from 1 March
    leap = away(left_on=D(2020, 2, 29))
    assert run([leap], D(2025, 2, 28)).status == "pass" and run([leap], D(2025, 3, 1)).status == "fail"


def test_a_decision_settles_it_and_other_purposes_are_not_checked():
    assert run([away(decided_on=D(2026, 2, 20))], D(2026, 6, 1)).status == "pass"
    assert run([away(purpose="work"), away(purpose="other")], D(2026, 6, 1)).status == "not_applicable"
    # no purpose recorded: it cannot be told apart from a stint to study, so it is listed
    unknown = run([away(name="未登记乙", purpose="")], D(2026, 6, 1))
    assert unknown.status == "fail" and "未登记乙（2021-03-01出国（境），事由未登记）" in str(unknown.message)


def test_not_applicable_without_a_member_abroad_to_study_or_once_dissolved():
    out = run([], D(2026, 6, 1))
    assert out.status == "not_applicable" and str(out.message) == (
        "不适用：截至2026-06-01本支部没有出国（境）学习的党员。"
    )
    assert run([away(abroad=False, purpose="")], D(2026, 6, 1)).status == "not_applicable"
    assert run([away()], D(2026, 6, 1), dissolved_on=D(2026, 5, 1)).status == "not_applicable"
    recent = run([away(left_on=D(2024, 9, 1))], D(2026, 6, 1))
    assert recent.status == "pass" and "1名出国（境）学习的党员均未超过5年" in str(recent.message)


# --- the services ----------------------------------------------------------------------------------------------


def audit_of(obj):
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


@pytest.fixture
def member(tree, make_member):
    return make_member(tree.a1, name="留学丙")


def test_a_stint_abroad_needs_its_purpose_and_only_abroad_has_one(member):
    with pytest.raises(ServiceError) as exc:
        services.start_stint(
            actor=None, member=member, destination="英国", abroad=True, left_on=D(2026, 1, 5)
        )
    assert exc.value.field == "abroad_purpose"
    with pytest.raises(ServiceError) as exc:
        services.start_stint(
            actor=None, member=member, destination="深圳", abroad_purpose="study", left_on=D(2026, 1, 5)
        )
    assert exc.value.field == "abroad_purpose"
    assert not MobileStint.objects.exists()
    stint = services.start_stint(
        actor=None,
        member=member,
        destination="英国",
        abroad=True,
        abroad_purpose="study",
        left_on=D(2026, 1, 5),
    )
    assert stint.abroad_purpose == "study"
    assert audit_of(stint).get().after["abroad_purpose"] == "学习"


def legacy_stint(member, left_on=LEGACY_LEFT):
    """A stint abroad recorded before the purpose existed."""
    stint = services.start_stint(
        actor=None, member=member, destination="美国", abroad=True, abroad_purpose="study", left_on=left_on
    )
    MobileStint.objects.filter(pk=stint.pk).update(abroad_purpose="")
    stint.refresh_from_db()
    return stint


def test_the_purpose_is_recorded_later_with_scope_and_audit(users, member):
    stint = legacy_stint(member)
    with pytest.raises(OutOfScope):
        services.set_abroad_purpose(actor=users["branch_a2"], stint=stint, abroad_purpose="work")
    stint.refresh_from_db()
    assert stint.abroad_purpose == ""
    services.set_abroad_purpose(actor=users["branch_a1"], stint=stint, abroad_purpose="work")
    stint.refresh_from_db()
    assert stint.abroad_purpose == "work"
    event = audit_of(stint).filter(action="update").get()
    assert (event.before["abroad_purpose"], event.after["abroad_purpose"]) == ("", "工作")
    assert event.org_path == member.org.path
    services.end_stint(actor=None, stint=stint, returned_on=D(2026, 1, 1))
    home = services.start_stint(actor=None, member=member, destination="深圳", left_on=D(2026, 1, 5))
    with pytest.raises(ServiceError):
        services.set_abroad_purpose(actor=None, stint=home, abroad_purpose="study")


def test_the_decision_is_recorded_with_scope_audit_and_checks(users, member, today):
    stint = legacy_stint(member)
    with pytest.raises(OutOfScope):
        services.record_stint_decision(
            actor=users["branch_a2"], stint=stint, decided_on=D(2026, 1, 15), decision="保留党籍"
        )
    for decided_on, decision, field in (
        (D(2019, 12, 31), "保留党籍", "decided_on"),  # before leaving
        (today + dt.timedelta(days=1), "保留党籍", "decided_on"),  # in the future
        (D(2026, 1, 15), "  ", "decision"),
        (None, "保留党籍", "decided_on"),
    ):
        with pytest.raises(ServiceError) as exc:
            services.record_stint_decision(actor=None, stint=stint, decided_on=decided_on, decision=decision)
        assert exc.value.field == field
    assert not StintDecision.objects.exists()
    row = services.record_stint_decision(
        actor=users["branch_a1"],
        stint=stint,
        decided_on=D(2026, 1, 15),
        decision="经支部党员大会研究，保留党籍",
    )
    event = audit_of(row).get()
    assert event.after["decision"] == "经支部党员大会研究，保留党籍" and event.org_path == member.org.path


def test_a_decision_needs_a_stint_abroad(member):
    home = services.start_stint(actor=None, member=member, destination="深圳", left_on=D(2026, 1, 5))
    with pytest.raises(ServiceError):
        services.record_stint_decision(actor=None, stint=home, decided_on=D(2026, 2, 1), decision="保留党籍")


# --- on the database: the rule, the facts, the kept results ------------------------------------------------------


def results(on, version=5):
    ev = evaluate(Org.objects.all(), year=on.year, as_of=on, ruleset=load_ruleset(version))
    return {r.org.code: r for r in ev.for_rule(RULE)}


def test_the_rule_on_the_database(tree, make_member, member):
    stint = legacy_stint(member, left_on=D(2020, 1, 10))
    services.set_abroad_purpose(actor=None, stint=stint, abroad_purpose="study")
    work = make_member(tree.b1, name="外派丁")
    services.start_stint(
        actor=None, member=work, destination="德国", abroad=True, abroad_purpose="work", left_on=D(2018, 1, 1)
    )
    on = D(2026, 6, 30)
    found = results(on)
    assert found["A1"].status == "fail" and found["A1"].missing == ["留学丙"]
    assert found["B1"].status == "not_applicable" and found["A2"].status == "not_applicable"
    assert "A" not in found and "A1G1" not in found
    services.record_stint_decision(actor=None, stint=stint, decided_on=D(2025, 3, 1), decision="保留党籍")
    assert results(on)["A1"].status == "pass"
    # a decision dated after D does not count on D
    assert results(D(2025, 2, 28))["A1"].status == "fail"


def test_the_facts_stay_one_query(tree, make_member):
    from dangjian.orgs.services import create_org

    def add(first, last):
        for i in range(first, last):
            branch = create_org(
                actor=None,
                data={"code": f"SX{i:02d}", "name": f"留学{i}支部", "type": "zhibu", "parent": tree.a},
            )
            stint = services.start_stint(
                actor=None,
                member=make_member(branch, name=f"留学员{i}"),
                destination="法国",
                abroad=True,
                abroad_purpose="study",
                left_on=D(2019, 1, 1),
            )
            services.record_stint_decision(actor=None, stint=stint, decided_on=D(2024, 2, 1), decision="保留")
            services.record_stint_decision(actor=None, stint=stint, decided_on=D(2024, 5, 1), decision="复议")

    def load():
        orgs = Org.objects.all()
        org_list = list(orgs.order_by("path"))
        with CaptureQueriesContext(connection) as ctx:
            facts = load_movement_facts(orgs.values("pk"), org_list, 2026, D(2026, 6, 30))
        return len(ctx.captured_queries), facts

    add(0, 2)
    few, facts = load()
    add(2, 15)
    many, facts = load()
    assert few == many == 1
    away = [a for f in facts.values() for a in f.away]
    assert len(away) == 15 and {(a.abroad_purpose, a.decided_on) for a in away} == {("study", D(2024, 5, 1))}


def test_kept_results_follow_the_decision(tree, member, django_capture_on_commit_callbacks, today):
    stint = legacy_stint(member, left_on=add_months(today, -6 * 12))  # (29 February: the 28th)
    kept.refresh()
    kept_a1 = {r[1]: r[2] for r in stored() if r[0] == tree.a1.pk}
    assert kept_a1[RULE] == "fail"
    with django_capture_on_commit_callbacks(execute=True):
        services.set_abroad_purpose(actor=None, stint=stint, abroad_purpose="work")
    assert stored() == fresh()
    assert {r[1]: r[2] for r in stored() if r[0] == tree.a1.pk}[RULE] == "not_applicable"
    with django_capture_on_commit_callbacks(execute=True):
        services.set_abroad_purpose(actor=None, stint=stint, abroad_purpose="study")
        services.record_stint_decision(actor=None, stint=stint, decided_on=today, decision="保留党籍")
    assert stored() == fresh()
    assert {r[1]: r[2] for r in stored() if r[0] == tree.a1.pk}[RULE] == "pass"


# --- the suggestion on the pages and in the command -----------------------------------------------------------


def test_suggestion_in_the_selectors_pages_and_command(client, users, tree, member):
    stint = legacy_stint(member, left_on=D(2020, 1, 10))
    services.set_abroad_purpose(actor=None, stint=stint, abroad_purpose="study")
    items = selectors.mobile_items(type(member).objects.filter(pk=member.pk), D(2025, 1, 11))
    assert items[0].study_from == D(2025, 1, 11) and items[0].study_suggestion
    before = selectors.mobile_items(type(member).objects.filter(pk=member.pk), D(2025, 1, 10))
    assert not before[0].study_suggestion
    client.force_login(users["branch_a1"])
    index = client.get(reverse("movements:index")).content.decode()
    assert 'data-testid="study-suggestions"' in index and "留学丙" in index
    assert "出国（境）学习研究超过5年仍未回国（境）的，一般应当停止党籍（EDU-02）" in index
    page = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    assert 'data-testid="study-suggestion"' in page and "建议支部研究是否停止其党籍" in page
    assert "出国（境） · 学习" in page
    out = StringIO()
    call_command("movements", "mobile", "--as-of", "2025-01-11", "--format", "json", stdout=out)
    row = json.loads(out.getvalue())[0]
    assert (row["abroad_purpose"], row["study_from"], row["study_suggestion"]) == (
        "study",
        "2025-01-11",
        True,
    )
    # the decision recorded through the page settles it, and is shown on the stint
    response = client.post(
        reverse("movements:stint_decision", args=[stint.pk]),
        {"decided_on": "2025-01-20", "decision": "经支部党员大会研究，保留党籍，督促按期回国"},
    )
    assert response.status_code == 302
    page = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    assert 'data-testid="study-suggestion"' not in page
    assert "处理决定 2025-01-20：经支部党员大会研究，保留党籍，督促按期回国" in page
    assert 'data-testid="study-suggestions"' not in client.get(reverse("movements:index")).content.decode()


def test_purpose_and_decision_forms_through_the_pages(client, users, member):
    stint = legacy_stint(member)
    client.force_login(users["branch_a1"])
    page = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    assert "事由未登记" in page and 'name="abroad_purpose"' in page
    bad = client.post(reverse("movements:stint_purpose", args=[stint.pk]), {"abroad_purpose": "x"})
    assert bad.status_code == 400
    ok = client.post(reverse("movements:stint_purpose", args=[stint.pk]), {"abroad_purpose": "work"})
    assert ok.status_code == 302
    stint.refresh_from_db()
    assert stint.abroad_purpose == "work"
    refused = client.post(
        reverse("movements:stint_decision", args=[stint.pk]), {"decided_on": "2019-01-01", "decision": "保留"}
    )
    assert refused.status_code == 400 and "决定日期不能早于外出日期（2020-01-10）" in refused.content.decode()
    assert not StintDecision.objects.exists()
    client.force_login(users["branch_a2"])
    assert (
        client.post(
            reverse("movements:stint_decision", args=[stint.pk]),
            {"decided_on": "2026-01-01", "decision": "保留"},
        ).status_code
        == 404
    )


def test_an_open_result_links_to_the_movements_page():
    from dangjian.movements.rules import movements_link

    ref = OrgRef(7, "A1", "甲一支部", "zhibu", "00000001/", "甲委")
    link = movements_link(None, ref, "fail")
    assert link is not None and link.url.endswith("?org=7") and link.label == "查看出国（境）党员"
    assert movements_link(None, ref, "not_applicable") is None
