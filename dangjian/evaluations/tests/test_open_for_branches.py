"""A 党委 opens the year's 民主评议党员 for all its 党支部 at once: one evaluation per branch without one, in one
transaction, one audit event each; out of scope, nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.evaluations import services
from dangjian.evaluations.models import Evaluation
from dangjian.evaluations.tests.conftest import state

pytestmark = pytest.mark.django_db


def open_for(today, actor, org, **kwargs):
    args = {"year": today.year, "opened_on": today, "organ": "assembly"} | kwargs
    return services.open_for_branches(actor=actor, org=org, **args)


@pytest.fixture
def a2_member(tree, make_member):
    return make_member(tree.a2, name="甲二党员")


def test_the_party_committee_opens_one_per_branch_without_one(branch, opened, a2_member, tree, today):
    events = AuditEvent.objects.filter(action="create", object_type="evaluations.evaluation").count()
    done = services.open_for_branches(
        actor=branch.dangwei, org=tree.a, year=today.year, opened_on=today, organ="committee"
    )
    assert [e.org for e in done.opened] == [tree.a2] and done.existing == [tree.a1] and done.empty == []
    ev = Evaluation.objects.get(org=tree.a2, year=today.year)
    assert (ev.organ, ev.opened_on, ev.created_by) == ("committee", today, branch.dangwei)
    assert [p.member for p in ev.participants.all()] == [a2_member]
    assert Evaluation.objects.get(org=tree.a1, year=today.year) == opened  # left alone
    assert (
        AuditEvent.objects.filter(action="create", object_type="evaluations.evaluation").count() == events + 1
    )


def test_every_branch_gets_its_own_evaluation_and_audit_event(branch, a2_member, tree, today):
    done = open_for(today, branch.dangwei, tree.a)
    assert sorted(e.org.code for e in done.opened) == ["A1", "A2"]
    assert Evaluation.objects.get(org=tree.a1).participants.count() == 10
    opened_events = AuditEvent.objects.filter(action="create", object_type="evaluations.evaluation")
    assert sorted(e.org_path for e in opened_events) == sorted([tree.a1.path, tree.a2.path])


def test_a_branch_without_members_is_left_alone(branch, tree, today):
    done = open_for(today, branch.dangwei, tree.a)
    assert [e.org for e in done.opened] == [tree.a1] and done.empty == [tree.a2]


@pytest.mark.parametrize("who", ["admin", "sibling", "foreign", "dangwei_only"])
def test_out_of_scope_changes_nothing(branch, a2_member, tree, make_user, who, today):
    actor = (
        make_user("dw_only", "dangwei_admin", tree.a, include_descendants=False)
        if who == "dangwei_only"
        else getattr(branch, who)
    )
    before = state()
    with pytest.raises(OutOfScope):
        open_for(today, actor, tree.a)
    assert state() == before


def test_a_branch_opens_its_own(branch, tree, today):
    before = state()
    with pytest.raises(ServiceError, match="请选择党委或党总支"):
        open_for(today, branch.dangwei, tree.a1)
    assert state() == before


def test_nothing_to_open_is_refused(branch, opened, tree, today):
    before = state()
    with pytest.raises(ServiceError, match="没有可开展的"):
        open_for(today, branch.dangwei, tree.a)  # 甲一 has one, 甲二 has nobody on its roll
    assert state() == before


def test_a_future_date_is_refused(branch, tree, today):
    with pytest.raises(ServiceError, match="不能晚于今天"):
        open_for(today, branch.dangwei, tree.a, opened_on=today + dt.timedelta(days=1))
    assert not Evaluation.objects.exists()


def test_the_index_offers_the_button_to_a_party_committee_only(branch, a2_member, tree, today):
    dangwei, admin = Client(), Client()
    dangwei.force_login(branch.dangwei)
    admin.force_login(branch.admin)
    url = reverse("evaluations:open_for_branches")
    assert url in dangwei.get(reverse("evaluations:index")).content.decode()
    assert url not in admin.get(reverse("evaluations:index")).content.decode()
    assert admin.get(url).status_code == 404
    page = dangwei.get(url)
    assert page.status_code == 200 and "甲委机关党委" in page.content.decode()
    response = dangwei.post(
        url, {"org": tree.a.pk, "year": today.year, "opened_on": today.isoformat(), "organ": "assembly"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?year={today.year}")
    assert set(Evaluation.objects.values_list("org__code", flat=True)) == {"A1", "A2"}
    again = dangwei.post(
        url, {"org": tree.a.pk, "year": today.year, "opened_on": today.isoformat(), "organ": "assembly"}
    )
    assert again.status_code == 400 and "没有可开展的" in again.content.decode()


def _queries_to_open(today, actor, org, year) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        open_for(today, actor, org, year=year, opened_on=dt.date(year, 12, 1))
    return len(queries.captured_queries)


def test_the_queries_do_not_grow_with_the_branches(branch, a2_member, tree, add_branches, today):
    """Four branches, then twelve: the same number of queries (one read of the subtree's roll, one insert each of
    evaluations, participants and audit events), and each branch gets the roster a read of its own would give."""
    from dangjian.meetings.roster import members_in_subtree

    add_branches(2, 1)
    few = _queries_to_open(today, branch.dangwei, tree.a, today.year - 1)
    add_branches(8, 3)
    many = _queries_to_open(today, branch.dangwei, tree.a, today.year - 2)
    assert few == many
    opened = Evaluation.objects.filter(year=today.year - 2).select_related("org")
    assert opened.count() == 12
    for ev in opened:
        roster = members_in_subtree(ev.org, ev.opened_on)
        assert sorted(ev.participants.values_list("member_id", "formal")) == sorted(
            (e.member_id, e.formal) for e in roster
        )
    grouped = Evaluation.objects.get(org=tree.a1, year=today.year - 2).participants
    assert list(grouped.exclude(group=None).values_list("member__name", "group__code")) == [("冯九", "A1G1")]
