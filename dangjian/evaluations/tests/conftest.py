from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from dangjian.evaluations import services


@pytest.fixture
def branch(tree, make_member, make_user):
    """甲一支部 with nine 正式党员 (one in its 党小组) and one 预备党员, each with a 党员 account; a 支部管理员 of
    甲一, one of 甲二 (sibling), one of 乙一 (another 党委) and the 党委管理员 of 甲委."""
    names = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九"]
    formal = [make_member(tree.a1g1 if i == 8 else tree.a1, name=n) for i, n in enumerate(names)]
    probationary = make_member(
        tree.a1, name="陈预备", category="probationary", joined_on=dt.date(2025, 12, 1), confirmed_on=None
    )
    people = [*formal, probationary]
    accounts = {m.pk: make_user(f"m{m.pk}", "member", tree.a1, member=m) for m in people}
    return SimpleNamespace(
        org=tree.a1,
        formal=formal,
        probationary=probationary,
        people=people,
        accounts=accounts,
        admin=make_user("branch_a1", "branch_admin", tree.a1),
        sibling=make_user("branch_a2", "branch_admin", tree.a2),
        foreign=make_user("branch_b1", "branch_admin", tree.b1),
        dangwei=make_user("dangwei_a", "dangwei_admin", tree.a),
    )


@pytest.fixture
def opened(branch, today):
    """The year's evaluation of 甲一, opened by its administrator."""
    return services.open_evaluation(
        actor=branch.admin, org=branch.org, year=today.year, opened_on=today, organ="assembly"
    )


def state(with_audit: bool = True) -> dict[str, list]:
    """Every row of the evaluations tables (and the audit events' ids): compared before and after a refusal."""
    from django.apps import apps

    from dangjian.core.models import AuditEvent

    rows = {
        m._meta.label: list(m._base_manager.order_by("pk").values_list())
        for m in apps.get_app_config("evaluations").get_models()
    }
    if with_audit:
        rows["audit"] = list(AuditEvent.objects.order_by("pk").values_list("pk"))
    return rows


def advance_to(ev, step, actor):
    from dangjian.evaluations.choices import STEP_ORDER

    ev.refresh_from_db()
    while STEP_ORDER.index(ev.step) < STEP_ORDER.index(step):
        ev = services.advance_step(actor=actor, evaluation=ev, confirm_gaps=True)
    return ev


def paper_vote(ev, actor, ballots: int = 7):
    """The branch's 测评 held on paper: `ballots` 测评票 collected, each rating every participant 合格 (the
    测评 closes only with at least one ballot)."""
    counts = {p.pk: {"qualified": ballots} for p in ev.participants.all()}
    return services.record_paper_tallies(actor=actor, evaluation=ev, paper_ballots=ballots, counts=counts)


def ballot_of(ev, member, choice="qualified", **overrides):
    """A complete 测评票 of `member`: `choice` for every other participant, `overrides` by member pk."""
    return {
        p.pk: overrides.get(p.member_id, choice) for p in ev.participants.all() if p.member_id != member.pk
    }
