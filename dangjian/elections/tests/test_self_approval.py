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
from dangjian.elections.services import approve_result, record_congress_approval, record_term_adjustment
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


# --- the approval to hold a 党员代表大会 (EL-04) ----------------------------------------------------------------


def congress(org, members, actor=None, **kw):
    from dangjian.elections.services import record_election
    from dangjian.elections.tests.conftest import cands

    return record_election(
        actor=actor,
        org=org,
        held_on=D,
        form="congress",
        present=9,
        seats=3,
        ballots_issued=9,
        ballots_returned=9,
        candidates=cands(members, (9, 8, 7, 2)),
        **kw,
    )


def test_a_branch_admin_cannot_record_the_approval_of_its_own_congress(users, tree, a1_voters):
    from dangjian.elections.models import Election

    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        congress(
            tree.a1,
            a1_voters,
            actor=users["branch_a1"],
            form_approval_ref="甲委〔2026〕5号",
            form_approved_on=dt.date(2026, 8, 1),
        )
    assert (refused.value.message, refused.value.field) == (OWN_BRANCH, "form_approval_ref")
    assert not Election.objects.exists() and AuditEvent.objects.count() == before
    # the branch records its congress; the 党委 above records the approval
    e = congress(tree.a1, a1_voters, actor=users["branch_a1"])
    with pytest.raises(ServiceError) as refused:
        record_congress_approval(
            actor=users["branch_a1"],
            election=e,
            approval_ref="甲委〔2026〕5号",
            approved_on=dt.date(2026, 8, 1),
        )
    assert refused.value.message == OWN_BRANCH
    e.refresh_from_db()
    assert (e.form_approval_ref, e.form_approved_on) == ("", None)
    record_congress_approval(
        actor=users["dangwei_a"], election=e, approval_ref="甲委〔2026〕5号", approved_on=dt.date(2026, 8, 1)
    )
    e.refresh_from_db()
    assert (e.form_approval_ref, e.form_approved_on) == ("甲委〔2026〕5号", dt.date(2026, 8, 1))
    event = AuditEvent.objects.filter(object_type="elections.election", action="update").latest("pk")
    assert (event.actor, event.after["form_approval_ref"]) == (users["dangwei_a"], "甲委〔2026〕5号")
    with pytest.raises(ServiceError):  # once
        record_congress_approval(
            actor=users["dangwei_a"],
            election=e,
            approval_ref="甲委〔2026〕6号",
            approved_on=dt.date(2026, 8, 2),
        )


def test_the_congress_approval_comes_before_the_election_and_only_for_a_congress(users, tree, a1_voters):
    e = congress(tree.a1, a1_voters)
    with pytest.raises(ServiceError) as refused:
        record_congress_approval(
            actor=users["dangwei_a"],
            election=e,
            approval_ref="甲委〔2026〕5号",
            approved_on=D + dt.timedelta(1),
        )
    assert refused.value.field == "approved_on"
    assembly = record(tree.a1, a1_voters, held_on=D - dt.timedelta(days=1))
    with pytest.raises(ServiceError):
        record_congress_approval(
            actor=users["dangwei_a"],
            election=assembly,
            approval_ref="x",
            approved_on=D - dt.timedelta(days=9),
        )


def test_the_pages_offer_the_approvals_only_to_the_organisation_above(client, users, tree, a1_voters):
    e = congress(tree.a1, a1_voters)
    detail = reverse("elections:detail", args=[e.pk])
    client.force_login(users["branch_a1"])
    html = client.get(detail).content.decode()
    assert reverse("elections:approve", args=[e.pk]) not in html  # no form the service would refuse
    assert reverse("elections:congress_approval", args=[e.pk]) not in html
    assert 'data-testid="approval-by-higher"' in html and 'data-testid="congress-by-higher"' in html
    entry = client.get(reverse("elections:create"), {"org": tree.a1.pk, "held_on": "2026-09-01"})
    assert "form_approval_ref" not in entry.content.decode()
    assert 'data-testid="congress-by-higher"' in entry.content.decode()
    adjust = client.get(reverse("elections:adjust", args=[tree.a1.pk])).content.decode()
    assert 'data-testid="adjust-form"' not in adjust and 'data-testid="by-higher"' in adjust

    client.force_login(users["dangwei_a"])
    html = client.get(detail).content.decode()
    assert reverse("elections:approve", args=[e.pk]) in html
    assert reverse("elections:congress_approval", args=[e.pk]) in html
    assert "by-higher" not in html
    entry = client.get(reverse("elections:create"), {"org": tree.a1.pk, "held_on": "2026-09-01"})
    assert 'name="form_approval_ref"' in entry.content.decode()
    assert (
        'data-testid="adjust-form"'
        in client.get(reverse("elections:adjust", args=[tree.a1.pk])).content.decode()
    )
    response = client.post(
        reverse("elections:congress_approval", args=[e.pk]),
        {"approval_ref": "甲委〔2026〕5号", "approved_on": "2026-08-01"},
    )
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.form_approval_ref == "甲委〔2026〕5号"


def test_the_index_offers_the_postponement_only_above(client, users, tree, a1_voters):
    Org.objects.filter(pk=tree.a1.pk).update(term_started_on=dt.date(2021, 9, 1))  # overdue: listed
    client.force_login(users["branch_a1"])
    html = client.get(reverse("elections:index")).content.decode()
    assert reverse("elections:adjust", args=[tree.a1.pk]) not in html
    assert 'data-testid="adjust-by-higher"' in html
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("elections:index")).content.decode()
    assert reverse("elections:adjust", args=[tree.a1.pk]) in html
