"""No self-approval: the higher organisation's approval of a 换届 postponement or advance and of an election's
result is recorded only by an admin of an organisation strictly above the one approved; a refusal says why in
Chinese and changes nothing (no row, no audit event, no new term)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.elections.models import TermAdjustment
from dangjian.elections.services import approve_result, record_term_adjustment
from dangjian.elections.tests.test_services import D, record
from dangjian.orgs.models import Org, Post

POSTPONE = {
    "kind": "postpone",
    "new_due_on": "2027-03-01",
    "approved_on": "2026-08-01",
    "approving_body": "甲委机关党委",
    "reason": "机构改革",
}
OWN_BRANCH = "上级批准应由上级党组织的管理员登记：甲一支部的上级党组织不在您的管理范围内，未登记。"


def test_a_branch_admin_cannot_record_the_approval_of_its_own_postponement(client, users, tree, a1_voters):
    client.force_login(users["branch_a1"])
    before = AuditEvent.objects.count()
    response = client.post(reverse("elections:adjust", args=[tree.a1.pk]), POSTPONE)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [OWN_BRANCH]
    assert OWN_BRANCH in response.content.decode()
    assert not TermAdjustment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_dangwei_above_records_the_postponement(client, users, tree, a1_voters):
    client.force_login(users["dangwei_a"])
    response = client.post(reverse("elections:adjust", args=[tree.a1.pk]), POSTPONE)
    assert response.status_code == 302
    assert TermAdjustment.objects.get().org == tree.a1


def test_a_dangwei_admin_cannot_approve_its_own_dangwei(users, tree):
    """甲委机关党委's own 换届 is approved by the 工委, which its admin does not administer."""
    Org.objects.filter(pk=tree.a.pk).update(term_started_on=dt.date(2021, 9, 1), term_years=5)
    with pytest.raises(ServiceError) as refused:
        record_term_adjustment(
            actor=users["dangwei_a"],
            org=tree.a,
            kind="advance",
            approved_on=dt.date(2026, 5, 1),
            approving_body="市级机关工委",
            new_due_on=dt.date(2026, 6, 1),
            reason="调整",
        )
    assert refused.value.message == (
        "上级批准应由上级党组织的管理员登记：甲委机关党委的上级党组织不在您的管理范围内，未登记。"
    )
    assert not TermAdjustment.objects.exists()


def test_a_branch_admin_cannot_approve_its_own_election_result(users, tree, a1_voters):
    e = record(tree.a1, a1_voters, present=10, titles={0: "shuji"})
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        approve_result(actor=users["branch_a1"], election=e, approved_on=D, approving_body="甲委机关党委")
    assert refused.value.message == OWN_BRANCH
    e.refresh_from_db()
    assert e.approved_on is None
    assert not Post.objects.filter(org=tree.a1).exists()
    assert Org.objects.get(pk=tree.a1.pk).term_started_on == dt.date(2023, 9, 1)
    assert AuditEvent.objects.count() == before
    approve_result(actor=users["dangwei_a"], election=e, approved_on=D, approving_body="甲委机关党委")
    e.refresh_from_db()
    assert e.approved_on == D
