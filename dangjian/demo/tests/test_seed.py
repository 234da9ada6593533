"""`dangjian seed`: deterministic, plausible, and valid under every rule the services enforce."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core import idcard
from dangjian.core.models import AuditEvent
from dangjian.core.pii import lookup_hash
from dangjian.demo.seeding import build_plan
from dangjian.demo.seeding.people import add_years
from dangjian.demo.tests import TODAY
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import MEMBER_FIELDS, _clean
from dangjian.orgs.models import Org, Post, path_segment
from dangjian.orgs.services import ORG_FIELDS, POST_FIELDS, _validate, _validate_post, validate_placement

# What seed 1 produces at the small scale (exact: a change to the generator must show up here).
SMALL_SEED_1 = {
    "units": 3,
    "orgs": 33,
    "gongwei": 1,
    "dangzu": 3,
    "dangwei": 3,
    "zongzhi": 3,
    "zhibu": 15,
    "xiaozu": 8,
    "members": 200,
    "posts": 124,
    "history": 10,
}
# The 党支部 of seed 1 that breach an ORG-* rule on purpose (the size breaches only at larger scales).
SMALL_SEED_1_ANOMALIES = {
    "too_few": [],
    "too_many": [],
    "vacant": ["U001-JW-ZB03"],
    "no_committee": ["U001-JW-ZZ01-ZB02"],
}


def seed(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed", "--scale", "small", "--today", f"{TODAY}", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list]:
    return {
        "orgs": list(Org.objects.order_by("code").values_list("code", "name", "type", "term_started_on")),
        "members": [
            (m.id_number, m.name, m.org.code, m.joined_on, m.confirmed_on, m.phone)
            for m in Member.objects.select_related("org").order_by("org__code", "birth_date", "name")
        ],
        "posts": sorted(
            Post.objects.values_list(
                "member__name", "member__birth_date", "org__code", "title", "started_on", "ended_on"
            )
        ),
    }


PLAN_DIGEST = """
import datetime as dt, hashlib, django
django.setup()
from dangjian.demo.seeding import build_plan
from dangjian.demo.tests import TODAY
plan = build_plan("small", 1, TODAY)
print(hashlib.sha256(repr((plan.orgs, plan.members, plan.posts, plan.history)).encode()).hexdigest())
"""


def test_plan_is_identical_across_processes_and_hash_seeds(tmp_path):
    def digest(hash_seed: str) -> str:
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "DJANGO_SETTINGS_MODULE": "dangjian.settings",
            "DANGJIAN_VAR_DIR": str(tmp_path),
        }
        result = subprocess.run(
            [sys.executable, "-c", PLAN_DIGEST], env=env, capture_output=True, text=True, check=True
        )
        return result.stdout.strip()

    plan = build_plan("small", 1, TODAY)
    here = hashlib.sha256(repr((plan.orgs, plan.members, plan.posts, plan.history)).encode()).hexdigest()
    assert digest("1") == digest("2") == here


@pytest.mark.parametrize("seed_value", range(1, 13))
def test_plan_rules_hold_for_other_seeds(seed_value):
    """Without the database: posts, committees and identity numbers are right whatever the seed."""
    plan = build_plan("small", seed_value, TODAY)
    orgs = {o.code: o for o in plan.orgs}
    assert plan.counts()["zhibu"] == 15 and len(plan.members) == 200
    assert len({m.id_number for m in plan.members}) == 200
    branch_of = {
        i: m.org if orgs[m.org].type == "zhibu" else orgs[m.org].parent for i, m in enumerate(plan.members)
    }
    branch_size = Counter(branch_of.values())
    formal = Counter(branch_of[i] for i, m in enumerate(plan.members) if m.formal_by(TODAY))
    current = [p for p in plan.posts if p.ended_on is None]
    titles: dict[str, Counter] = {code: Counter() for code in orgs}
    for post in current:
        titles[post.org][post.title] += 1
    anomaly = {code: kind for kind, codes in plan.anomalies.items() for code in codes}
    assert {kind: len(codes) for kind, codes in plan.anomalies.items()} == {
        "too_few": 0,
        "too_many": 0,
        "vacant": 1,
        "no_committee": 1,
    }
    for code, org in orgs.items():
        if org.type in {"dangzu", "dangwei", "zongzhi", "zhibu"}:
            assert titles[code]["shuji"] == (0 if anomaly.get(code) == "vacant" else 1), code
        if org.type == "xiaozu":
            assert titles[code] == Counter({"xiaozuzhang": 1})
        if org.type == "zhibu":
            expected = {"shuji", "zuzhi", "xuanchuan"} if branch_size[code] >= 7 else {"shuji"}
            expected -= {"vacant": {"shuji"}, "no_committee": {"xuanchuan"}}.get(anomaly.get(code, ""), set())
            assert expected <= set(titles[code]) and (branch_size[code] >= 7 or set(titles[code]) == expected)
            committee = sum(n for title, n in titles[code].items() if title != "xiaozuzhang")
            assert (formal[code] < 3) == (anomaly.get(code) == "too_few"), code
            assert (branch_size[code] > 50) == (anomaly.get(code) == "too_many"), code
            assert (formal[code] >= 7 and committee < 3) == (anomaly.get(code) == "no_committee"), code
    for kind in ("vacant", "no_committee"):  # a post left this year, not yet filled again
        (code,) = plan.anomalies[kind]
        title = "shuji" if kind == "vacant" else "xuanchuan"
        left = [p for p in plan.posts if p.org == code and p.title == title and p.ended_on]
        assert any(dt.date(TODAY.year, 1, 1) < p.ended_on < TODAY for p in left)
    for post in plan.posts:
        holder = plan.members[post.member]
        assert holder.confirmed_on is not None and holder.confirmed_on <= post.started_on
        idcard.parse(holder.id_number)
    small_branches = sum(1 for code, n in branch_size.items() if n < 7)
    assert small_branches == {4: 2, 9: 1, 10: 1, 11: 1}.get(seed_value, 0)


def test_same_seed_gives_identical_data_and_another_seed_differs(db):
    seed()
    first = snapshot()
    seed("--reset")
    assert snapshot() == first
    seed("--reset", "--seed", "2")
    other = snapshot()
    assert [o[:2] for o in other["orgs"]] != [o[:2] for o in first["orgs"]]
    assert {m[0] for m in other["members"]}.isdisjoint({m[0] for m in first["members"]})


def test_small_scale_counts_for_seed_1(db):
    out = seed()
    assert build_plan("small", 1, TODAY).counts() == SMALL_SEED_1
    assert dict(Counter(Org.objects.values_list("type", flat=True))) == {
        t: SMALL_SEED_1[t] for t in ("gongwei", "dangzu", "dangwei", "zongzhi", "zhibu", "xiaozu")
    }
    assert Member.objects.count() == 200
    assert Post.objects.count() == SMALL_SEED_1["posts"]
    assert MemberHistory.objects.count() == SMALL_SEED_1["history"]
    assert build_plan("small", 1, TODAY).anomalies == SMALL_SEED_1_ANOMALIES
    assert "完成：单位 3 个，党组织 33 个（其中党支部 15 个、党小组 8 个），党员 200 名" in out
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_repr, event.actor) == (
        "create",
        "seed",
        "演示数据 small",
        None,
    )
    assert event.note.startswith("seed=1；单位 3 个")


def test_each_unit_has_a_party_group_and_a_party_committee_under_the_root(db):
    seed()
    root = Org.objects.get(type="gongwei")
    assert (root.code, root.name, root.parent) == ("GW", "市级机关工作党委", None)
    top = list(Org.objects.filter(parent=root).order_by("code").values_list("code", "type", "name", "unit"))
    assert [code for code, *_ in top] == ["U001-DZ", "U001-JW", "U002-DZ", "U002-JW", "U003-DZ", "U003-JW"]
    for code, type_, name, unit in top:
        assert (type_, name) == (
            ("dangzu", f"{unit}党组") if code.endswith("-DZ") else ("dangwei", f"{unit}机关党委")
        )
    assert len({unit for *_, unit in top}) == 3


def test_tree_shape_paths_and_org_rules_hold_for_every_org(db):
    seed()
    for org in Org.objects.select_related("parent"):
        validate_placement(org.type, org.parent)
        _validate({f: getattr(org, f) for f in ORG_FIELDS}, org)
        assert org.path == (org.parent.path if org.parent else "") + path_segment(org.pk)
        assert org.depth == org.path.count("/")
        if org.parent and org.parent.type != "gongwei":
            assert org.code.startswith(org.parent.code + "-")
            assert org.unit == org.parent.unit
    retiree = Org.objects.filter(is_retiree_branch=True)
    assert retiree.exists() and set(retiree.values_list("type", flat=True)) == {"zhibu"}
    assert all("离退休" in name for name in retiree.values_list("name", flat=True))


def test_every_member_passes_the_member_service_validation(db):
    seed()
    members = list(Member.objects.select_related("org"))
    for member in members:
        clean = _clean({k: getattr(member, k) for k in MEMBER_FIELDS}, member)
        assert (clean["sex"], clean["birth_date"], clean["id_number_hash"]) == (
            member.sex,
            member.birth_date,
            member.id_number_hash,
        )
    assert {m.org.type for m in members} == {"zhibu", "xiaozu"}


def test_id_numbers_are_valid_unique_encrypted_and_match_sex_and_birth_date(db):
    seed()
    members = list(Member.objects.all())
    numbers = [m.id_number for m in members]
    assert len(set(numbers)) == len(numbers) == 200
    for member in members:
        card = idcard.parse(member.id_number)
        assert (card.sex, card.birth_date) == (member.sex, member.birth_date)
        assert member.id_number_hash == lookup_hash(member.id_number)
        assert member.id_number[:2] in {"11", "31", "32", "33", "34", "36", "37", "41", "42", "43", "51"}
        assert member.phone == "" or (len(member.phone) == 11 and member.phone[:2] in {"13", "15", "18"})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone FROM {Member._meta.db_table}")
        stored = cursor.fetchall()
    assert not {n for n, _ in stored} & set(numbers)
    assert not {p for _, p in stored} & {m.phone for m in members if m.phone}


def test_dates_categories_and_work_status_are_plausible(db):
    seed()
    members = list(Member.objects.select_related("org", "org__parent"))
    formal = [m for m in members if m.category == "formal"]
    probationary = [m for m in members if m.category == "probationary"]
    assert (len(formal), len(probationary)) == (196, 4)
    for m in formal:
        assert m.confirmed_on == add_years(m.joined_on, 1) and m.confirmed_on <= TODAY
    for m in probationary:
        assert m.confirmed_on is None
        assert TODAY - dt.timedelta(days=365) < m.joined_on <= TODAY
    for m in members:
        assert m.joined_on >= add_years(m.birth_date, 18)
        branch = m.org if m.org.type == "zhibu" else m.org.parent
        assert (m.work_status == "retired") == branch.is_retiree_branch
    counts = Counter((m.work_status, m.is_leader, m.is_mobile) for m in members)
    assert sum(n for (status, _, _), n in counts.items() if status == "retired") == 47
    assert sum(n for (_, leader, _), n in counts.items() if leader) == 41
    assert sum(n for (_, _, mobile), n in counts.items() if mobile) == 3
    assert Counter(m.ethnicity for m in members)["汉族"] < 200
    positions = {m.position for m in members if m.work_status == "active"}
    assert {"处长", "副处长"} <= positions and "" not in positions


def test_every_org_but_the_vacant_branch_has_exactly_one_current_secretary_and_groups_a_leader(db):
    seed()
    current = Post.objects.current()
    secretaries = Counter(current.filter(title="shuji").values_list("org__code", flat=True))
    vacant = [o.code for o in Org.objects.exclude(type__in=["gongwei", "xiaozu"]) if secretaries[o.code] != 1]
    assert vacant == ["U001-JW-ZB03"] and secretaries["U001-JW-ZB03"] == 0  # the 书记 stepped down
    for branch in Org.objects.filter(type="zhibu"):
        titles = set(current.filter(org=branch).values_list("title", flat=True))
        if branch.code == "U001-JW-ZB03":  # its committee goes on without a 书记
            assert titles == {"weiyuan", "zuzhi", "xuanchuan", "jijian"}
        elif branch.code == "U001-JW-ZZ01-ZB02":  # the 宣传委员 left, no by-election yet
            assert titles == {"shuji", "zuzhi"}
        elif Member.objects.in_subtree(branch).count() >= 7:  # a 支委会 (ORG-03)
            assert {"shuji", "zuzhi", "xuanchuan"} <= titles
        else:
            assert titles == {"shuji"}
    for group in Org.objects.filter(type="xiaozu"):
        leaders = list(current.filter(org=group))
        assert [p.title for p in leaders] == ["xiaozuzhang"]
        assert leaders[0].member.org_id == group.pk
    assert Post.objects.filter(title="shuji", ended_on__isnull=False).count() == 9  # past secretaries


def test_every_post_passes_the_post_service_validation_and_holder_was_full_member(db):
    seed()
    for post in Post.objects.select_related("member", "org"):
        _validate_post({k: getattr(post, k) for k in POST_FIELDS}, post)
        assert post.member.confirmed_on is not None and post.member.confirmed_on <= post.started_on
        assert post.started_on <= TODAY
    party_group_secretaries = Post.objects.current().filter(org__type="dangzu", title="shuji")
    assert all(
        p.member.is_leader and p.member.org.type in {"zhibu", "xiaozu"} for p in party_group_secretaries
    )


def test_terms_are_spread_with_some_overdue_and_some_ending_soon(db):
    seed()
    ends = [o.term_end for o in Org.objects.filter(type__in=["zhibu", "zongzhi", "dangwei"])]
    overdue = sum(end < TODAY for end in ends)
    soon = sum(TODAY <= end <= TODAY + dt.timedelta(days=183) for end in ends)
    assert (len(ends), overdue, soon) == (21, 5, 2)


def test_refuses_without_reset_and_changes_nothing(db):
    seed()
    before = snapshot()
    with pytest.raises(CommandError, match=r"已有 33 个组织.*--reset") as info:
        seed()
    assert info.value.returncode == 1
    assert snapshot() == before
    assert AuditEvent.objects.count() == 1


def test_reset_keeps_users_but_drops_their_assignments_and_links(db):
    seed()
    member = Member.objects.first()
    user = User.objects.create_user("keep_me", password="Test-pass-2026", member=member)
    RoleAssignment.objects.create(user=user, role="gongwei_admin", org=Org.objects.get(code="GW"))
    seed("--reset", "--seed", "3")
    user.refresh_from_db()
    assert user.member is None
    assert not RoleAssignment.objects.exists()
    assert Member.objects.count() == 200 and Org.objects.filter(type="zhibu").count() == 15
    assert list(AuditEvent.objects.values_list("object_repr", flat=True)) == ["演示数据 small"]


def test_lifecycle_adds_cases_and_movements_through_the_services_and_reset_removes_them(db):
    from dangjian.movements.models import LostContact, MobileStint, StatusChange, Transfer
    from dangjian.pipeline.models import CaseStep, DevelopmentCase
    from dangjian.talks.models import Talk
    from dangjian.training.models import Participant, StudyRecord, Training

    out = seed("--lifecycle")
    assert DevelopmentCase.objects.exists() and CaseStep.objects.exists()
    assert Transfer.objects.exists() and MobileStint.objects.exists() and LostContact.objects.exists()
    assert Training.objects.exists() and Participant.objects.exists() and StudyRecord.objects.exists()
    assert Talk.objects.exists()
    from dangjian.appraisals.models import Campaign, Subject, Tally

    campaign = Campaign.objects.get()  # last year's 述职评议 of the first 党委, closed, figures on paper
    assert campaign.state == "closed" and campaign.year == dt.date.today().year - 1
    assert Subject.objects.count() == 3 and Subject.objects.exclude(report="").count() == 2
    assert sum(Tally.objects.values_list("paper", flat=True)) == 3 * 7
    admitted = DevelopmentCase.objects.filter(member__isnull=False)
    assert admitted.exists()  # the admission votes created 预备党员 in the registry
    assert Member.objects.count() == 200 + admitted.count()
    assert AuditEvent.objects.filter(object_repr="演示数据 small").count() == 1
    assert AuditEvent.objects.count() > 1  # the services audited their own writes
    assert "完成" in out
    seed("--reset")
    # the 外出 records left are the plan's own, one per member marked 流动党员
    assert MobileStint.objects.count() == Member.objects.filter(is_mobile=True).count()
    assert not MobileStint.objects.filter(abroad=True).exists()
    for model in (
        DevelopmentCase,
        CaseStep,
        Transfer,
        LostContact,
        StatusChange,
        Training,
        Talk,
        Campaign,
    ):
        assert not model.objects.exists(), model
    assert Member.objects.count() == 200


def test_a_reset_after_the_demo_was_used_wipes_what_users_added(db):
    """Plans, 民主评议, notifications and the assessment refer to the demo's organisations and members: a reset
    after a demo was tried out removes them too instead of failing on their references."""
    from django.utils import timezone

    from dangjian.assessment.models import FrozenBranch, Round, SelfReview
    from dangjian.evaluations.models import Evaluation
    from dangjian.evaluations.services import open_evaluation
    from dangjian.meetings.models import PlannedMeeting
    from dangjian.meetings.services import plan_meeting
    from dangjian.orgs.models import Org

    seed()
    branch = Org.objects.filter(type="zhibu").order_by("path").first()
    plan_meeting(
        actor=None, org=branch, date=TODAY, types=["theme_day"], topic="主题党日", place="", on=TODAY
    )
    open_evaluation(actor=None, org=branch, year=TODAY.year, opened_on=TODAY, organ="assembly")
    found = Round.objects.create(year=TODAY.year, scheme_version=1, scheme_checksum="x" * 64, opened_on=TODAY)
    SelfReview.objects.create(
        round=found, unit_key=branch.unit, indicator_id="ORG-01", text="说明", written_at=timezone.now()
    )
    FrozenBranch.objects.create(round=found, org=branch, score=90, tier="达标", data={})
    seed("--reset")
    assert (
        not PlannedMeeting.objects.exists() and not Evaluation.objects.exists() and not Round.objects.exists()
    )


def test_every_member_marked_mobile_has_an_open_stint_so_the_pages_count_the_same(db):
    """The dashboard counts the 流动党员 flag (the kept figures), the 分类统计 the 流动 records as of a day: the
    seeded data gives both the same members (a flag without a record made the 工委 see 4 against 1)."""
    from dangjian.members.models import OrgFigures
    from dangjian.movements.models import MobileStint
    from dangjian.movements.selectors import summary_total

    seed()
    flagged = set(Member.objects.filter(is_mobile=True).values_list("pk", flat=True))
    stints = list(MobileStint.objects.select_related("member"))
    assert flagged and {s.member_id for s in stints} == flagged and len(stints) == len(flagged)
    for stint in stints:
        assert stint.returned_on is None and not stint.abroad and stint.destination
        assert stint.member.joined_on <= stint.left_on <= TODAY
    assert summary_total(Member.objects.all(), TODAY).counts["mobile"] == len(flagged)
    assert sum(OrgFigures.objects.values_list("mobile", flat=True)) == len(flagged)
