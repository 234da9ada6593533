import datetime as dt

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org, create_post, delete_org, update_org


@pytest.mark.parametrize(
    ("type_", "parent_code", "message"),
    [
        ("dangwei", "A", "党委只能设在工委之下"),
        ("zongzhi", "GW", "党总支只能设在党委之下"),
        ("zhibu", "A-DZ", "党支部只能设在党委或党总支之下"),
        ("xiaozu", "A", "党小组只能设在党支部之下"),
        ("zhibu", None, "党支部必须有上级组织"),
    ],
)
def test_wrong_placement_is_refused(tree, type_, parent_code, message):
    parent = Org.objects.get(code=parent_code) if parent_code else None
    with pytest.raises(ServiceError, match=message):
        create_org(actor=None, data={"code": "NEW", "name": "新组织", "type": type_, "parent": parent})
    assert not Org.objects.filter(code="NEW").exists()


def test_second_gongwei_is_refused(tree):
    with pytest.raises(ServiceError, match="只能有一个工委"):
        create_org(actor=None, data={"code": "GW2", "name": "另一个工委", "type": "gongwei"})


def test_term_defaults_by_type_and_start_falls_back_to_founding(tree):
    assert (tree.a.term_years, tree.b_zz.term_years, tree.a1.term_years, tree.a_dz.term_years) == (
        5,
        3,
        3,
        None,
    )
    assert tree.a1.term_start == dt.date(2018, 3, 1)
    assert tree.a1.term_end == dt.date(2021, 3, 1)
    org = update_org(actor=None, org=tree.a1, data={"term_started_on": dt.date(2024, 2, 29)})
    assert org.term_end == dt.date(2027, 2, 28)


def test_org_cannot_move_under_its_own_descendant(tree):
    with pytest.raises(ServiceError):
        update_org(actor=None, org=tree.b, data={"parent": tree.b_zz, "type": "dangwei"})


def test_branch_admin_cannot_create_outside_scope_or_move_out(tree, users):
    before = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        create_org(
            actor=users["branch_a1"], data={"code": "X", "name": "X", "type": "xiaozu", "parent": tree.a2}
        )
    with pytest.raises(OutOfScope):
        update_org(actor=users["dangwei_a"], org=tree.a2, data={"parent": tree.b})
    assert Org.objects.get(pk=tree.a2.pk).parent_id == tree.a.pk
    assert AuditEvent.objects.count() == before
    group = create_org(
        actor=users["branch_a1"],
        data={"code": "A1G2", "name": "第二小组", "type": "xiaozu", "parent": tree.a1},
    )
    assert group.path.startswith(tree.a1.path) and group.depth == 4


def test_dissolved_org_keeps_history_and_busy_org_cannot_be_deleted(tree, make_member):
    member = make_member(tree.a2)
    with pytest.raises(ServiceError, match="不能删除"):
        delete_org(actor=None, org=tree.a2)
    with pytest.raises(ServiceError, match="还有1名党员在册"):  # its members are transferred first
        update_org(actor=None, org=tree.a2, data={"dissolved_on": dt.date(2025, 12, 31)})
    type(member).objects.filter(pk=member.pk).update(org=tree.a1)
    org = update_org(actor=None, org=tree.a2, data={"dissolved_on": dt.date(2025, 12, 31)})
    assert org.dissolved_on == dt.date(2025, 12, 31)
    assert Org.objects.active(dt.date(2026, 1, 1)).filter(pk=org.pk).count() == 0
    assert Org.objects.active(dt.date(2025, 12, 30)).filter(pk=org.pk).count() == 1


def test_post_titles_follow_org_type(tree, make_member):
    member = make_member(tree.a1g1)
    with pytest.raises(ServiceError, match="党小组不设“书记”职务"):
        create_post(
            actor=None,
            data={"member": member, "org": tree.a1g1, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
        )
    with pytest.raises(ServiceError, match="离任日期应晚于任职日期"):
        create_post(
            actor=None,
            data={
                "member": member,
                "org": tree.a1,
                "title": "zuzhi",
                "started_on": dt.date(2024, 1, 1),
                "ended_on": dt.date(2023, 1, 1),
            },
        )


def test_member_may_hold_posts_in_several_orgs(tree, make_member):
    leader = make_member(tree.a1, name="党组书记")
    create_post(
        actor=None,
        data={"member": leader, "org": tree.a_dz, "title": "shuji", "started_on": dt.date(2023, 1, 1)},
    )
    create_post(
        actor=None,
        data={"member": leader, "org": tree.a1, "title": "weiyuan", "started_on": dt.date(2023, 1, 1)},
    )
    assert sorted(leader.posts.values_list("org__code", flat=True)) == ["A-DZ", "A1"]
