from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from dangjian.appraisals import services

POSTED = dt.date(2020, 1, 1)


@pytest.fixture
def party(tree, make_member, make_user):
    """甲委机关党委 with the secretaries of 甲一 (赵书记) and 甲二 (钱书记), 甲一's 组织委员 (吴委员) and three 委员 of the
    党委 itself (孙、李、周, members of 甲一 and 甲二): the six hold committee posts, so the role 该组织委员会委员 gives
    six participants. Each has a 党员 account; the administrators of 甲委, 甲一, 甲二, 乙一 and the 工委."""
    from dangjian.orgs.services import create_post

    def post(member, org, title):
        create_post(actor=None, data={"member": member, "org": org, "title": title, "started_on": POSTED})

    zhao = make_member(tree.a1, name="赵书记")
    qian = make_member(tree.a2, name="钱书记")
    wu = make_member(tree.a1, name="吴委员")
    sun = make_member(tree.a1, name="孙委员")
    li = make_member(tree.a2, name="李委员")
    zhou = make_member(tree.a2, name="周委员")
    plain = make_member(tree.a1, name="郑党员")
    post(zhao, tree.a1, "shuji")
    post(wu, tree.a1, "zuzhi")
    post(qian, tree.a2, "shuji")
    for m in (sun, li, zhou):
        post(m, tree.a, "weiyuan")
    people = [zhao, qian, wu, sun, li, zhou]
    accounts = {m.pk: make_user(f"m{m.pk}", "member", m.org, member=m) for m in [*people, plain]}
    return SimpleNamespace(
        owner=tree.a,
        zhao=zhao,
        qian=qian,
        people=people,
        plain=plain,
        accounts=accounts,
        admin=make_user("dangwei_a", "dangwei_admin", tree.a),
        a1=make_user("branch_a1", "branch_admin", tree.a1),
        a2=make_user("branch_a2", "branch_admin", tree.a2),
        foreign=make_user("branch_b1", "branch_admin", tree.b1),
        gongwei=make_user("gongwei", "gongwei_admin", tree.gw),
        tree=tree,
    )


@pytest.fixture
def campaign(party, today):
    """This year's 述职评议 of 甲委, opened today, with 甲一 and 甲二 as subjects."""
    c = services.create_campaign(actor=party.admin, owner=party.owner, year=today.year, opened_on=today)
    services.add_subjects(actor=party.admin, campaign=c, orgs=[party.tree.a1, party.tree.a2])
    return c


def state(with_audit: bool = True) -> dict[str, list]:
    """Every row of the appraisals tables (and the audit events' ids): compared before and after a refusal."""
    from django.apps import apps

    from dangjian.core.models import AuditEvent

    rows = {
        m._meta.label: list(m._base_manager.order_by("pk").values_list())
        for m in apps.get_app_config("appraisals").get_models()
    }
    if with_audit:
        rows["audit"] = list(AuditEvent.objects.order_by("pk").values_list("pk"))
    return rows


def to_voting(c, actor):
    from dangjian.appraisals.choices import STATE_ORDER

    c.refresh_from_db()
    while STATE_ORDER.index(c.state) < STATE_ORDER.index("voting"):
        c = services.advance(actor=actor, campaign=c)
    return c


def ballot_of(c, member, choice="good", **overrides):
    """A complete 测评票 of `member`: `choice` for every other subject on every item, `overrides` by org code."""
    return {
        (s.pk, i.pk): overrides.get(s.org.code, choice)
        for s in c.subjects.select_related("org")
        if s.secretary_id != member.pk
        for i in c.items.all()
    }
