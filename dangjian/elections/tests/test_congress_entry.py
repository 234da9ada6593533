"""A 党员代表大会's election: its 应到会 are the delegates, asked for on the entry form (never counted from the roll),
and its checks speak of 代表; the approval to hold it, once recorded, can be corrected by the higher organisation
while the result is not approved; the result page shows that approval before the result's, each with its own
button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.elections.models import Election
from dangjian.elections.services import (
    approve_result,
    correct_congress_approval,
    record_congress_approval,
    record_election,
)
from dangjian.elections.tests.conftest import cands
from dangjian.elections.tests.test_views import post_data

D = dt.date(2026, 9, 1)
APPROVAL = ("甲委〔2026〕5号", dt.date(2026, 8, 1))


# --- 2. the delegates of a 党员代表大会 --------------------------------------------------------------------


def test_the_entry_form_asks_for_the_delegates_of_a_congress(client, users, tree, a1_voters):
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("elections:create"), {"org": tree.a1.pk, "held_on": D.isoformat()})
    html = page.content.decode()
    assert 'data-form="assembly"' in html  # a 党员大会 unless chosen otherwise
    assert "应到会代表人数" in html and 'data-testid="congress-expected-help"' in html
    assert "填写应出席会议的代表人数（不含列席人员），不按党员名册计算" in html
    assert page.context["form"]["expected"].value() in (None, "")  # nothing filled from the roll

    # chosen, and left blank: asked for, not counted from the roll (11 members here)
    data = post_data(tree.a1, a1_voters, 25, (24, 22, 20, 3), form="congress", expected="")
    response = client.post(reverse("elections:create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["expected"] == [
        "召开党员代表大会的，请填写应到会代表人数（应出席会议的代表，不按党员名册计算）。"
    ]
    assert 'data-form="congress"' in response.content.decode()  # shown with the delegates' labels
    assert not Election.objects.exists()

    # 30 delegates, 25 present: more than 4/5, recorded without a reason for differing from the roll
    response = client.post(reverse("elections:create"), {**data, "expected": "30"})
    assert response.status_code == 302
    e = Election.objects.get()
    assert (e.form, e.expected, e.present, e.derived_expected, e.expected_reason) == (
        "congress",
        30,
        25,
        None,
        "",
    )
    assert e.roster_voters == 11  # the roll is still kept
    detail = client.get(response["Location"]).content.decode()
    assert "应到会代表人数" in detail and "实到会代表人数" in detail
    assert "到会代表人数符合要求：应到会代表30名，实到会代表25名，须超过4/5（至少25名）" in detail


def test_the_quorum_of_a_congress_is_told_in_delegates(client, users, tree, a1_voters):
    client.force_login(users["dangwei_a"])
    data = post_data(tree.a1, a1_voters, 20, (20, 18, 16, 3), form="congress", expected="30")
    response = client.post(reverse("elections:create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "ELECT-QUORUM：到会代表人数不足，选举无效：应到会代表30名，实到会代表20名，须超过4/5（至少25名）（EL-09）。"
        in html
    )
    assert "应到会20人" not in html and not Election.objects.exists()
    # more present than delegates
    response = client.post(reverse("elections:create"), {**data, "present": "31", "ballots_issued": "31"})
    assert "实到会代表人数（31）不能多于应到会代表人数（30）。" in response.content.decode()


def test_an_assembly_still_counts_the_roll(client, users, tree, a1_voters):
    client.force_login(users["dangwei_a"])
    response = client.post(reverse("elections:create"), post_data(tree.a1, a1_voters, 9, (9, 8, 7, 2)))
    assert response.status_code == 302
    e = Election.objects.get()
    assert (e.expected, e.derived_expected) == (11, 11)
    detail = client.get(response["Location"]).content.decode()
    assert "应到会有选举权人数" in detail and "应到会代表人数" not in detail
    assert "到会人数符合要求：应到会11人，实到会9人" in detail


# --- 3. correcting the approval to hold the 党员代表大会 ----------------------------------------------------


def congress(org, members, votes=(9, 8, 7, 2), *, seats=3, **kw):
    return record_election(
        actor=None,
        org=org,
        held_on=D,
        form="congress",
        present=10,
        seats=seats,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(members, votes),
        **kw,
    )


def test_the_result_page_shows_the_congress_approval_first_with_its_own_button(
    client, users, tree, a1_voters
):
    e = congress(tree.a1, a1_voters)
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("elections:detail", args=[e.pk])).content.decode()
    assert html.index('data-testid="congress-approval"') < html.index('data-testid="approval"')
    assert html.index("登记召开党员代表大会的批准") < html.index("登记选举结果的批准")
    assert ">登记批准<" not in html


def test_the_higher_organisation_corrects_a_mistyped_approval(client, users, tree, a1_voters):
    e = congress(tree.a1, a1_voters)
    record_congress_approval(
        actor=users["dangwei_a"], election=e, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    client.force_login(users["dangwei_a"])
    url = reverse("elections:detail", args=[e.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="congress-correct"' in html and "更正批准文号或日期" in html
    assert f'value="{APPROVAL[0]}"' in html  # the correction starts from what is recorded

    post = reverse("elections:congress_approval", args=[e.pk])
    refused = client.post(
        post, {"action": "correct", "approval_ref": "甲委〔2026〕15号", "approved_on": "2026-09-02"}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "批准日期不能晚于选举日期" in page
    assert 'value="甲委〔2026〕15号"' in page and 'value="2026-09-02"' in page  # what was entered stays
    assert 'data-testid="congress-correct" open' in page
    e.refresh_from_db()
    assert (e.form_approval_ref, e.form_approved_on) == APPROVAL

    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    done = client.post(
        post, {"action": "correct", "approval_ref": "甲委〔2026〕15号", "approved_on": "2026-08-03"}
    )
    assert done.status_code == 302 and done["Location"] == url
    e.refresh_from_db()
    assert (e.form_approval_ref, e.form_approved_on) == ("甲委〔2026〕15号", dt.date(2026, 8, 3))
    event = AuditEvent.objects.filter(pk__gt=last, object_type="elections.election").get()
    assert (event.action, event.actor, event.note) == (
        "update",
        users["dangwei_a"],
        "更正召开党员代表大会的批准文号或日期",
    )
    assert (event.before["form_approval_ref"], event.after["form_approval_ref"]) == (
        APPROVAL[0],
        "甲委〔2026〕15号",
    )
    assert "已更正召开党员代表大会的批准文号和日期" in client.get(url).content.decode()


def test_the_branch_cannot_correct_the_approval_of_its_own_congress(client, users, tree, a1_voters):
    e = congress(tree.a1, a1_voters)
    record_congress_approval(
        actor=users["dangwei_a"], election=e, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    client.force_login(users["branch_a1"])
    assert (
        'data-testid="congress-correct"'
        not in client.get(reverse("elections:detail", args=[e.pk])).content.decode()
    )
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("elections:congress_approval", args=[e.pk]),
        {"action": "correct", "approval_ref": "甲委〔2026〕15号", "approved_on": "2026-08-03"},
    )
    assert response.status_code == 400 and "上级党组织的管理员" in response.content.decode()
    e.refresh_from_db()
    assert (e.form_approval_ref, e.form_approved_on) == APPROVAL and AuditEvent.objects.count() == before


def test_the_approval_is_corrected_on_every_record_of_the_day_until_a_result_is_approved(
    users, tree, a1_voters
):
    first = congress(tree.a1, a1_voters[:4], (9, 6, 5, 5))  # two of three elected
    again = congress(tree.a1, a1_voters[4:6], (8, 1), seats=1)  # the 另行选举 of the seat left
    record_congress_approval(
        actor=users["dangwei_a"], election=first, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    again.refresh_from_db()
    assert (again.form_approval_ref, again.form_approved_on) == APPROVAL
    with pytest.raises(ServiceError, match="没有需要更正的内容"):
        correct_congress_approval(
            actor=users["dangwei_a"], election=first, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
        )
    correct_congress_approval(
        actor=users["dangwei_a"], election=again, approval_ref="甲委〔2026〕15号", approved_on=APPROVAL[1]
    )
    for e in (first, again):
        e.refresh_from_db()
        assert e.form_approval_ref == "甲委〔2026〕15号"

    approve_result(
        actor=users["dangwei_a"],
        election=first,
        approved_on=dt.date(2026, 9, 10),
        approving_body="甲委机关党委",
    )
    with pytest.raises(ServiceError, match="2026-09-01的选举结果已于2026-09-10登记批准"):
        correct_congress_approval(
            actor=users["dangwei_a"], election=again, approval_ref="甲委〔2026〕16号", approved_on=APPROVAL[1]
        )
    again.refresh_from_db()
    assert again.form_approval_ref == "甲委〔2026〕15号"


def test_an_approved_result_s_page_offers_no_correction(client, users, tree, a1_voters):
    e = congress(tree.a1, a1_voters)
    record_congress_approval(
        actor=users["dangwei_a"], election=e, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    approve_result(
        actor=users["dangwei_a"], election=e, approved_on=dt.date(2026, 9, 10), approving_body="甲委机关党委"
    )
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("elections:detail", args=[e.pk])).content.decode()
    assert 'data-testid="congress-correct"' not in html and APPROVAL[0] in html
