"""A 撤销日期 is not after today (as the other dates recorded after the fact); a 党小组 is neither a 离退休党支部 nor has an
approval of its form (组织设置批准), on its form or through the service; the 撤销 refusal reads across the form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org, update_org

D = dt.date


@pytest.fixture
def tomorrow(today) -> dt.date:
    return today + dt.timedelta(days=1)


def state() -> tuple:
    return (
        list(
            Org.objects.values_list(
                "code", "dissolved_on", "is_retiree_branch", "setup_approval_ref", "setup_approved_on"
            ).order_by("pk")
        ),
        AuditEvent.objects.count(),
    )


# --- 撤销日期 after today -------------------------------------------------------------------------------------


def test_a_dissolution_date_after_today_is_refused(tree, today, tomorrow):
    before = state()
    with pytest.raises(ServiceError) as refused:
        update_org(actor=None, org=tree.a2, data={"dissolved_on": tomorrow})
    assert refused.value.errors == {"dissolved_on": ["撤销日期不能晚于今天：请在撤销后填写。"]}
    assert state() == before
    with pytest.raises(ServiceError, match="撤销日期不能晚于今天"):
        create_org(
            actor=None,
            data={
                "code": "A3",
                "name": "甲三支部",
                "type": "zhibu",
                "parent": tree.a,
                "founded_on": D(2018, 3, 1),
                "dissolved_on": tomorrow,
            },
        )
    assert state() == before
    # today is in effect: accepted
    assert update_org(actor=None, org=tree.a2, data={"dissolved_on": today}).dissolved_on == today


def test_a_future_date_recorded_earlier_does_not_block_other_edits(tree, tomorrow):
    Org.objects.filter(pk=tree.a2.pk).update(dissolved_on=tomorrow)  # as recorded before the check
    org = update_org(actor=None, org=tree.a2, data={"unit": "甲委办公室"})
    assert (org.unit, org.dissolved_on) == ("甲委办公室", tomorrow)


def test_the_form_refuses_a_future_dissolution_date_and_offers_today_at_most(
    client, tree, users, today, tomorrow
):
    client.force_login(users["dangwei_a"])
    url = reverse("orgs:edit", args=[tree.a2.pk])
    page = client.get(url).content.decode()
    assert re.search(rf'name="dissolved_on"[^>]*max="{today.isoformat()}"', page)
    data = {
        "code": "A2",
        "name": "甲二支部",
        "type": "zhibu",
        "parent": tree.a.pk,
        "unit": "甲委",
        "founded_on": "2018-03-01",
        "dissolved_on": tomorrow.isoformat(),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "撤销日期不能晚于今天" in response.content.decode()
    assert Org.objects.get(pk=tree.a2.pk).dissolved_on is None


# --- a 党小组: no 离退休党支部, no 组织设置批准 -----------------------------------------------------------------------


def _group(**extra) -> dict:
    return {
        "code": "A1G2",
        "name": "甲一第二党小组",
        "type": "xiaozu",
        "founded_on": D(2026, 3, 1),
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"is_retiree_branch": True}, "is_retiree_branch"),
        (
            {"setup_approval_ref": "甲委组〔2026〕1号", "setup_approved_on": D(2026, 3, 1)},
            "setup_approval_ref",
        ),
    ],
)
def test_the_service_refuses_a_group_marked_retiree_or_with_a_setup_approval(tree, extra, field):
    before = state()
    with pytest.raises(ServiceError) as refused:
        create_org(actor=None, data=_group(parent=tree.a1, **extra))
    assert refused.value.errors[field] and "党小组" in refused.value.errors[field][0]
    assert state() == before
    with pytest.raises(ServiceError) as refused:
        update_org(actor=None, org=tree.a1g1, data=extra)
    assert refused.value.errors[field]
    assert state() == before


def test_a_branch_keeps_both_and_a_group_recorded_earlier_can_still_be_edited(tree):
    branch = update_org(
        actor=None,
        org=tree.a2,
        data={
            "is_retiree_branch": True,
            "setup_approval_ref": "甲委组〔2026〕2号",
            "setup_approved_on": D(2026, 3, 1),
        },
    )
    assert branch.is_retiree_branch and branch.setup_approval_ref == "甲委组〔2026〕2号"
    Org.objects.filter(pk=tree.a1g1.pk).update(is_retiree_branch=True)  # as recorded before the check
    group = update_org(actor=None, org=tree.a1g1, data={"name": "甲一第一党小组（机关）"})
    assert group.name == "甲一第一党小组（机关）"
    # clearing the flag is a change that is allowed
    assert update_org(actor=None, org=tree.a1g1, data={"is_retiree_branch": False}).is_retiree_branch is False


def test_the_group_form_offers_neither_and_a_crafted_post_sets_neither(client, tree, users):
    client.force_login(users["branch_a1"])
    for url in (reverse("orgs:create") + f"?parent={tree.a1.pk}", reverse("orgs:edit", args=[tree.a1g1.pk])):
        page = client.get(url).content.decode()
        for name in ("is_retiree_branch", "setup_approval_ref", "setup_approved_on"):
            assert f'name="{name}"' not in page, (url, name)
        assert "离退休党支部" not in page and "组织设置批准" not in page
    # the branch's own form still offers them
    page = client.get(reverse("orgs:edit", args=[tree.a1.pk])).content.decode()
    assert 'name="is_retiree_branch"' in page and 'name="setup_approval_ref"' in page

    crafted = {
        "code": "A1G2",
        "name": "甲一第二党小组",
        "type": "xiaozu",
        "parent": tree.a1.pk,
        "unit": "甲委",
        "founded_on": "2026-03-01",
        "is_retiree_branch": "on",
        "setup_approval_ref": "甲委组〔2026〕1号",
        "setup_approved_on": "2026-03-01",
    }
    response = client.post(reverse("orgs:create") + f"?parent={tree.a1.pk}", crafted)
    assert response.status_code == 302
    group = Org.objects.get(code="A1G2")
    assert (group.is_retiree_branch, group.setup_approval_ref, group.setup_approved_on) == (False, "", None)
    response = client.post(
        reverse("orgs:edit", args=[tree.a1g1.pk]),
        {**crafted, "code": "A1G1", "name": "甲一第一党小组", "founded_on": "2018-03-01"},
    )
    assert response.status_code == 302
    group = Org.objects.get(pk=tree.a1g1.pk)
    assert (group.is_retiree_branch, group.setup_approval_ref, group.setup_approved_on) == (False, "", None)


# --- the 撤销 refusal reads across the form ------------------------------------------------------------------------


def test_the_dissolution_refusal_and_help_are_beside_the_date_across_the_form(
    client, tree, users, make_member
):
    make_member(tree.a2)
    client.force_login(users["dangwei_a"])
    data = {
        "code": "A2",
        "name": "甲二支部",
        "type": "zhibu",
        "parent": tree.a.pk,
        "unit": "甲委",
        "founded_on": "2018-03-01",
        "dissolved_on": "2026-06-30",
    }
    page = client.post(reverse("orgs:edit", args=[tree.a2.pk]), data).content.decode()
    note = re.search(r'<div class="([^"]*)" id="id_dissolved_on_note"[^>]*>(.*?)</div>\s*</div>', page, re.S)
    assert note is not None
    assert "col-12" in note.group(1).split() and "col-6" not in note.group(1).split()
    assert "还有1名党员在册" in note.group(2) and 'id="id_dissolved_on_error"' in note.group(2)
    field = re.search(r'<input[^>]*name="dissolved_on"[^>]*>', page).group(0)
    assert 'aria-describedby="id_dissolved_on_note"' in field and 'aria-invalid="true"' in field
