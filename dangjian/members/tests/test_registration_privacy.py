"""Registering a 身份证号 already on another roll says that it is registered and how to ask for a transfer
(组织关系转接), never where or by whom: no organisation, no name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.members.services import id_number_taken
from dangjian.members.tests.test_views import form_data
from dangjian.movements import services as movements


@pytest.fixture
def elsewhere(tree, make_member):
    number = unique_id_number()
    return make_member(tree.b1, name="乙委的某党员", id_number=number)


def test_the_registration_form_names_neither_the_organisation_nor_the_member(client, users, tree, elsewhere):
    client.force_login(users["branch_a1"])
    response = client.post(reverse("members:create"), form_data(tree.a1, id_number=elsewhere.id_number))
    assert response.context["form"].errors["id_number"] == [id_number_taken()]
    html = "\n".join(  # without the random tokens (a CSRF or one-time token may contain "B1")
        line
        for line in response.content.decode().splitlines()
        if "csrf" not in line.lower() and "once_token" not in line
    )
    assert "组织关系转接" in id_number_taken()
    for revealing in ("乙委的某党员", tree.b1.name, tree.b1.code, tree.b.name):
        assert revealing not in html
    assert Member.objects.filter(name="赵新").count() == 0


def test_a_transfer_in_of_a_registered_number_names_no_organisation(users, tree, elsewhere):
    data = {**form_data(tree.a1, id_number=elsewhere.id_number), "org": tree.a1}
    data["joined_on"], data["confirmed_on"] = dt.date(2012, 7, 1), dt.date(2013, 7, 1)
    Member.objects.filter(pk=elsewhere.pk).update(
        status=MemberStatus.TRANSFERRED_OUT, inactive_from=dt.date(2026, 1, 1)
    )
    for status in (MemberStatus.TRANSFERRED_OUT, MemberStatus.NORMAL):
        if status == MemberStatus.NORMAL:
            Member.objects.filter(pk=elsewhere.pk).update(status=status, inactive_from=None)
        with pytest.raises(ServiceError) as caught:
            movements.transfer_in(
                actor=users["branch_a1"],
                data=data,
                letter_no="1",
                origin="外省",
                transferred_on=dt.date(2026, 6, 1),
            )
        for revealing in ("乙委的某党员", tree.b1.name, tree.b1.code):
            assert revealing not in caught.value.message
    assert caught.value.message == id_number_taken()
    assert Member.objects.filter(name="赵新").count() == 0
