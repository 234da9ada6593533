"""A transfer inside the system goes to another 党支部 (never a 党小组, never the member's own branch), offered and
enforced alike; the movements pages name each organisation with its 单位; the member page's forms have ids of their
own; a 失联 suggestion's date is the day it stands from, not a deadline."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.movements import services
from dangjian.movements.models import Transfer
from dangjian.movements.workbench import waiting

D = dt.date


def options(html: str, name: str) -> set[str]:
    """The values of the select `name`'s options."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return set(re.findall(r'<option value="(\d+)"', select.group(1)))


def test_the_transfer_form_offers_the_other_branches_only(client, users, tree, make_member):
    grouped = make_member(tree.a1g1, name="小组党员")
    client.force_login(users["branch_a1"])
    html = client.get(reverse("movements:member", args=[grouped.pk])).content.decode()
    offered = options(html, "to_org")
    assert offered == {str(tree.a2.pk), str(tree.b1.pk)}  # no 党小组, not the member's own 甲一支部
    assert "甲二支部（甲委）" in html and "乙一支部（乙委）" in html


@pytest.mark.parametrize(
    ("home", "to", "match"),
    [
        ("a2", "a1g1", "须为党支部，“甲一第一党小组”是党小组：请选择其所在的“甲一支部”"),
        ("a1g1", "a1", "已在“甲一支部”（甲一第一党小组），不需要转接"),
        ("a1", "a1g1", "是王转接所在党支部的党小组：在支部内调整党小组"),
        ("a1", "a", "须为党支部，“甲委机关党委”是党委"),
        ("a1", "a1", "已在“甲一支部”"),
    ],
)
def test_the_service_refuses_a_group_or_the_members_own_branch(tree, make_member, home, to, match, today):
    member = make_member(getattr(tree, home), name="王转接")
    with pytest.raises(ServiceError, match=match) as refused:
        services.start_transfer(
            actor=None, member=member, to_org=getattr(tree, to), started_on=today, reason="工作调动"
        )
    assert refused.value.field == "to_org"
    assert not Transfer.objects.exists()


def test_a_group_member_may_be_transferred_to_another_branch(users, tree, make_member, today):
    member = make_member(tree.a1g1, name="小组党员")
    transfer = services.start_transfer(
        actor=users["branch_a1"], member=member, to_org=tree.b1, started_on=today, reason="工作调动"
    )
    assert (transfer.from_org, transfer.to_org, transfer.state) == (tree.a1g1, tree.b1, "pending")


def test_transfers_name_their_organisations_with_the_unit(client, users, tree, make_member, today):
    member = make_member(tree.a1, name="王转接")
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.b1, started_on=today, reason="工作调动"
    )
    both = "甲一支部（甲委） → 乙一支部（乙委）"
    client.force_login(users["gongwei"])
    index = client.get(reverse("movements:index")).content.decode()
    assert index.count(both) == 2  # awaiting (乙一 is the 工委's) and sent
    page = client.get(reverse("movements:transfer", args=[transfer.pk])).content.decode()
    assert "甲一支部（甲委）" in page and "乙一支部（乙委）" in page
    member_page = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    assert both in member_page
    assert '<span data-testid="member-org">甲一支部（甲委）</span>' in member_page
    # the 乙 branch's work list: from where, with its unit
    item = next(i for i in waiting(users["gongwei"], tree.b1, today) if "转入待接收" in i.title)
    assert "由甲一支部（甲委）于" in item.detail


def test_the_member_pages_forms_have_ids_of_their_own(client, users, tree, make_member):
    member = make_member(tree.a1, name="王流动")
    client.force_login(users["branch_a1"])
    html = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    # each label points at its own form's field: 流向地点或单位 at the 登记外出 form's destination
    label = re.search(r'<label[^>]*for="([^"]+)"[^>]*>流向地点或单位', html)
    assert label is not None and label.group(1) == "id_stint_destination"
    assert re.search(r'<input[^>]*name="destination"[^>]*id="id_stint_destination"', html)
    assert re.search(r'<input[^>]*name="destination"[^>]*id="id_out_destination"', html)
    # the field names are those the services read: a posted form records, a refused one keeps its ids
    response = client.post(
        reverse("movements:stint_start", args=[member.pk]), {"destination": "", "left_on": "2026-01-05"}
    )
    assert response.status_code == 400
    assert 'id="id_stint_destination_error"' in response.content.decode()
    response = client.post(
        reverse("movements:stint_start", args=[member.pk]),
        {"destination": "北京市", "left_on": "2026-01-05"},
    )
    assert response.status_code == 302 and member.mobile_stints.get().destination == "北京市"


def test_a_lost_members_suggestion_stands_from_a_day_it_is_not_due_by(users, tree, make_member):
    lost = make_member(tree.a1, name="失联者")
    services.record_lost_contact(actor=None, member=lost, lost_on=D(2026, 1, 15))  # 6 months on 07-15
    item = next(i for i in waiting(users["branch_a1"], None, D(2026, 9, 20)) if "失联者" in i.title)
    assert (item.due, item.since, item.overdue) == (None, D(2026, 7, 15), False)
