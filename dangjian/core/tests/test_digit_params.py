"""An organisation's id in a page's parameters is ASCII digits: "²" is a digit to str.isdigit but no number to int,
and reached int() on several pages (a 500). Every such page answers it as any other id it does not know."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ODD = "²"

URLS = [
    ("meetings:list", {"org": ODD}),
    ("meetings:todo", {"org": ODD}),
    ("meetings:create", {"org": ODD}),
    ("meetings:plans", {"org": ODD}),
    ("members:create", {"org": ODD}),
    ("members:list", {"org": ODD}),
    ("elections:index", {"org": ODD}),
    ("elections:create", {"org": ODD}),
    ("evaluations:index", {"org": ODD}),
    ("evaluations:open", {"org": ODD}),
    ("evaluations:open", {"within": ODD}),
    ("talks:talk_new", {"org": ODD}),
    ("talks:talk_new", {"within": ODD}),
    ("talks:group_new", {"org": ODD}),
    ("pipeline:create", {"org": ODD}),
    ("orgs:create", {"parent": ODD}),
    ("dues:reminders", {"org": ODD}),
    ("dues:sheet", {"org": ODD}),
    ("training:hours", {"org": ODD}),
    ("movements:index", {"org": ODD}),
]


@pytest.mark.parametrize("picker_above", [80, 1])
def test_an_odd_digit_is_an_unknown_id_not_a_server_error(users, tree, settings, picker_above):
    settings.ORG_PICKER_ABOVE = picker_above  # 1: the pickers search a queryset, which checks a value itself
    client = Client(raise_request_exception=False)
    client.force_login(users["gongwei"])
    failed = {}
    for name, query in URLS:
        response = client.get(reverse(name), query)
        if response.status_code >= 500:
            failed[f"{name} {query}"] = response.status_code
    assert not failed


def test_a_phone_number_is_ascii_digits(tree):
    import datetime as dt

    from dangjian.conftest import unique_id_number
    from dangjian.core.errors import ServiceError
    from dangjian.members.models import Member
    from dangjian.members.services import create_member

    data = {
        "name": "上标",
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": dt.date(2010, 7, 1),
        "confirmed_on": dt.date(2011, 7, 1),
        "org": tree.a1,
        "work_status": "active",
        "phone": "¹³⁸¹²³⁴⁵⁶⁷⁸",
    }
    with pytest.raises(ServiceError) as refused:
        create_member(actor=None, data=data)
    assert "手机号码" in str(refused.value) and not Member.objects.filter(name="上标").exists()
    assert create_member(actor=None, data={**data, "phone": "13812345678"}).phone == "13812345678"
