"""The kept member figures (members.figures): kept by the kept-results refresh after every write that commits,
equal to counting the roll, and read by the dashboard and the organisation pages with the same numbers as
counting `Member.objects.visible_to(user)` did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import reverse

from dangjian.accounts.scope import scope_for
from dangjian.members import figures
from dangjian.members.models import Member, OrgFigures
from dangjian.members.services import create_member, delete_member, update_member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import PATH_SEGMENT, Org
from dangjian.portal import selectors as portal_selectors


def counted(members) -> dict[int, tuple[int, ...]]:
    """Org id → the figures, counted from the roll (what the pages did per request)."""
    rows = (
        members.order_by()
        .values_list("org_id")
        .annotate(
            n=Count("id"),
            formal=Count("id", filter=Q(category="formal")),
            probationary=Count("id", filter=Q(category="probationary")),
            active=Count("id", filter=Q(work_status="active")),
            retired=Count("id", filter=Q(work_status="retired")),
            mobile=Count("id", filter=Q(is_mobile=True)),
        )
    )
    return {org_id: tuple(values) for org_id, *values in rows}


def on_roll():
    """The members the 党员名册 lists by default: 党籍 正常."""
    return Member.objects.filter(status="normal")


def kept() -> dict[int, tuple[int, ...]]:
    return {
        org_id: tuple(values)
        for org_id, *values in OrgFigures.objects.values_list("org_id", *figures.FIGURES)
    }


def data(org, name, **extra):
    from dangjian.conftest import unique_id_number

    return {
        "name": name,
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": dt.date(2010, 7, 1),
        "confirmed_on": dt.date(2011, 7, 1),
        "org": org,
        "work_status": "active",
        "education": "bachelor",
        **extra,
    }


def test_the_figures_follow_every_write_once_it_commits(tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        zhang = create_member(actor=None, data=data(tree.a1, "张一"))
    with django_capture_on_commit_callbacks(execute=True):
        wang = create_member(
            actor=None,
            data=data(
                tree.a1, "王二", category="probationary", confirmed_on=None, joined_on=dt.date(2025, 7, 1)
            ),
        )
    assert kept() == counted(on_roll())
    assert kept()[tree.a1.pk] == (2, 1, 1, 2, 0, 0)

    # moved to another 党委's branch, retired and mobile: both branches change
    with django_capture_on_commit_callbacks(execute=True):
        update_member(
            actor=None,
            member=zhang,
            data={
                **data(tree.b1, "张一", work_status="retired", is_mobile=True),
                "id_number": zhang.id_number,
            },
        )
    assert kept() == counted(on_roll())
    assert kept()[tree.a1.pk] == (1, 0, 1, 1, 0, 0)
    assert kept()[tree.b1.pk] == (1, 1, 0, 0, 1, 1)

    # removed: the branch left without members has no row
    with django_capture_on_commit_callbacks(execute=True):
        delete_member(actor=None, member=wang)
    assert kept() == counted(on_roll())
    assert tree.a1.pk not in kept()


def test_a_write_rolled_back_leaves_the_figures(tree, make_member, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        make_member(tree.a1, name="张一")
    before = kept()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                create_member(actor=None, data=data(tree.a1, "王二"))
                raise RuntimeError
        except RuntimeError:
            pass
    assert not callbacks
    assert kept() == before == counted(on_roll())


def test_the_full_refresh_repairs_the_figures(tree, make_member):
    make_member(tree.a1, name="张一")
    make_member(tree.a2, name="王二", is_mobile=True)
    OrgFigures.objects.create(org=tree.b1, members=7)  # a stale row of a branch without members
    from dangjian.compliance import kept as kept_results

    kept_results.refresh()  # nightly, and at the end of `dangjian seed`
    assert kept() == counted(on_roll())
    assert tree.b1.pk not in kept()
    assert figures.refresh() == 2


def test_a_member_off_the_roll_is_no_longer_counted_and_the_dashboard_agrees_with_the_roll(
    client, users, tree, make_member, django_capture_on_commit_callbacks
):
    """The figures count the members the 党员名册 lists by default (党籍 正常): one whose 党籍 is suspended keeps the
    record but leaves the dashboard's and the tree's numbers, and comes back with them when restored."""
    from dangjian.movements.services import change_status

    with django_capture_on_commit_callbacks(execute=True):
        zhang = make_member(tree.a1, name="张一", is_mobile=True)
        make_member(tree.a1, name="王二")
    before = kept()[tree.a1.pk]
    assert before == counted(on_roll())[tree.a1.pk] and before[0] >= 2
    with django_capture_on_commit_callbacks(execute=True):
        change_status(
            actor=None,
            member=zhang,
            status="suspended",
            effective_on=dt.date(2026, 3, 1),
            decided_on=dt.date(2026, 3, 1),
            decision_body="甲一支部党员大会",
        )
    # one member fewer: formal, active, 流动 (members, formal, probationary, active, retired, mobile)
    assert kept()[tree.a1.pk] == tuple(n - d for n, d in zip(before, (1, 1, 0, 1, 0, 1), strict=True))
    assert kept() == counted(on_roll())
    client.force_login(users["branch_a1"])
    board = client.get(reverse("dashboard")).context["board"]
    listed = client.get(reverse("members:list")).context["page"].paginator.count
    assert board.members.total == listed == on_roll().filter(org__path__startswith=tree.a1.path).count()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(
            actor=None,
            member=zhang,
            status="normal",
            effective_on=dt.date(2026, 6, 1),
            decided_on=dt.date(2026, 6, 1),
            decision_body="甲委机关党委",
        )
    assert kept()[tree.a1.pk] == before


# --- the pages show the numbers counting the roll gave ----------------------------------------------------


@pytest.fixture
def personas(users, tree, make_member, make_user):
    """Members across the tree, figures kept as after their writes committed; besides the shared users, a
    支部管理员 whose own member record sits in another 党委, and a 支部管理员 without its 党小组."""
    make_member(
        tree.a1g1, name="钱预备", category="probationary", joined_on=dt.date(2025, 7, 1), confirmed_on=None
    )
    make_member(tree.a2, name="孙退休", work_status="retired", is_mobile=True)
    elsewhere = make_member(tree.b1, name="吴乙一", is_mobile=True)
    make_member(tree.b1, name="郑乙二", work_status="retired")
    make_member(tree.a1, name="冯甲一")
    figures.refresh()
    return {
        **{k: v for k, v in users.items() if k not in ("norole", "own_member", "member_a1")},
        "branch_a2_member_b1": make_user("a2_with_b1", "branch_admin", tree.a2, member=elsewhere),
        "branch_a1_only": make_user("a1_only", "branch_admin", tree.a1, include_descendants=False),
    }


def roll_stats(user) -> tuple[int, ...]:
    found = counted(Member.objects.visible_to(user).filter(status="normal"))
    return tuple(sum(v[i] for v in found.values()) for i in range(6))


def roll_per_org(user, root=None) -> dict[int, int]:
    qs = Member.objects.visible_to(user).filter(status="normal")
    if root is not None:
        qs = qs.filter(org__path__startswith=root.path)
    return dict(qs.order_by().values_list("org_id").annotate(n=Count("id")))


PERSONAS = ["gongwei", "dangwei_a", "branch_a1", "branch_a2", "branch_a2_member_b1", "branch_a1_only"]


@pytest.mark.parametrize("who", PERSONAS)
def test_the_dashboard_shows_the_numbers_of_the_roll(client, personas, who):
    user = personas[who]
    client.force_login(user)
    board = client.get(reverse("dashboard")).context["board"]
    m = board.members
    assert (m.total, m.formal, m.probationary, m.active, m.retired, m.mobile) == roll_stats(user)
    assert m.total > 0
    depth = portal_selectors._group_depth(user)
    prefix_len = depth * (PATH_SEGMENT + 1)
    per_prefix = dict(
        Member.objects.visible_to(user)
        .order_by()
        .annotate(prefix=Substr("org__path", 1, prefix_len))
        .values_list("prefix")
        .annotate(n=Count("id"))
    )
    names = dict(Org.objects.filter(path__in=list(per_prefix)).values_list("path", "name"))
    # the members of a scope root outside its 下级组织 are that root's own bar, named 直属
    roots = {g.path for g in scope_for(user).admin_grants}
    shown = {p: f"{names.get(p, p)}（直属）" if p in roots else names.get(p, p) for p in per_prefix}
    assert sorted(board.groups) == sorted((shown[p], n) for p, n in per_prefix.items())
    assert board.group_total == len(per_prefix)


@pytest.mark.parametrize("who", PERSONAS)
def test_the_tree_and_the_children_table_show_the_numbers_of_the_roll(client, personas, tree, who):
    user = personas[who]
    client.force_login(user)
    nodes = client.get(reverse("orgs:tree")).context["nodes"]
    direct = roll_per_org(user)
    assert nodes
    for node in nodes:
        assert node.direct == direct.get(node.org.pk, 0), node.org.name
        shown = set(
            Org.objects.visible_to(user).filter(path__startswith=node.org.path).values_list("pk", flat=True)
        )
        assert node.total == sum(n for pk, n in direct.items() if pk in shown), node.org.name
    assert org_selectors.panels.member_counts(user) == direct

    for org in Org.objects.visible_to(user):
        response = client.get(reverse("orgs:detail", args=[org.pk]))
        for child in response.context["children"]:
            below = Member.objects.visible_to(user).filter(org__path__startswith=child.path)
            assert child.n_direct == below.filter(org=child).count(), child.name
            assert child.n_total == below.count(), child.name


def test_an_own_record_outside_the_scope_is_counted_as_before(personas, tree):
    user = personas["branch_a2_member_b1"]
    stats = figures.totals(user)
    assert stats["members"] == 2  # 孙退休 in 甲二, and the admin's own record in 乙一
    assert stats["mobile"] == 2
    assert figures.per_org(user) == {tree.a2.pk: 1, tree.b1.pk: 1}
    assert figures.per_org(user, tree.a) == {tree.a2.pk: 1}


def test_a_refresh_writes_only_what_changed_in_a_bounded_number_of_statements(tree, make_member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(6):
        make_member(tree.a1 if i % 2 else tree.a2, name=f"党员{i}")
    figures.refresh()
    with CaptureQueriesContext(connection) as unchanged:
        figures.refresh()
    writes = [
        q["sql"] for q in unchanged.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    Member.objects.filter(org=tree.a2).update(is_mobile=True)  # a write the refresh has not seen yet
    with CaptureQueriesContext(connection) as changed:
        figures.refresh(Org.objects.filter(pk__in=[tree.a1.pk, tree.a2.pk]))
    inserts = [q["sql"] for q in changed.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and len(changed.captured_queries) <= 5
    assert kept() == counted(on_roll())


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_members_already_registered():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "members"]
    before.append(("members", "0003_status"))
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Org_, Member_ = apps.get_model("orgs", "Org"), apps.get_model("members", "Member")
    root = Org_.objects.create(code="M0", name="迁移工委", type="gongwei", path="00000098/", depth=1)
    one = Org_.objects.create(
        code="M1", name="迁移一支部", type="zhibu", parent=root, path="00000098/00000099/", depth=2
    )
    two = Org_.objects.create(
        code="M2", name="迁移二支部", type="zhibu", parent=root, path="00000098/00000100/", depth=2
    )
    rows = [
        (one, "formal", "active", False),
        (one, "probationary", "retired", True),
        (two, "formal", "retired", False),
    ]
    for n, (org, category, work_status, mobile) in enumerate(rows):
        Member_.objects.create(
            name=f"党员{n}",
            id_number=f"x{n}",
            id_number_hash=f"h{n}",
            sex="M",
            birth_date=dt.date(1980, 1, 1),
            category=category,
            joined_on=dt.date(2010, 1, 1),
            confirmed_on=dt.date(2011, 1, 1) if category == "formal" else None,
            org=org,
            work_status=work_status,
            is_mobile=mobile,
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert kept() == {one.pk: (2, 1, 1, 1, 1, 1), two.pk: (1, 1, 0, 0, 1, 0)} == counted(on_roll())
