"""我的培训 of another year: the page offers this year, last year and every earlier year with the member's records,
and words a year that is over as that year, not as "今年"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from dangjian.training.services import record_study

pytestmark = pytest.mark.django_db
D = dt.date
IN_2027 = time_machine.travel(dt.datetime(2027, 2, 10, 2, 0, tzinfo=dt.UTC), tick=False)


@IN_2027
def test_my_training_offers_its_years_and_words_a_past_year_as_that_year(
    client, tree, make_member, make_user, train
):
    member = make_member(tree.a1, name="张晶燕")
    train(tree.a, [member], D(2026, 5, 10), hours="12", ended_on=D(2026, 5, 11))
    record_study(actor=None, member=member, platform="xuexi", period="2024", hours="40")
    client.force_login(make_user("zjy", "member", tree.a1, member=member))

    page = client.get(reverse("training:secretary")).content.decode()
    years = re.findall(r'href="\?year=(\d{4})"', page)
    assert years == ["2026", "2024"]  # 2027 shown, last year and the earlier year with a record linked
    assert "今年的培训" in page and "今年还没有完成的培训记录。" in page

    page = client.get(reverse("training:secretary"), {"year": 2026}).content.decode()
    assert re.findall(r'href="\?year=(\d{4})"', page) == ["2027", "2024"]
    assert 'aria-current="page">2026<' in page
    assert "今年" not in page and "2026年的培训" in page and "培训0510" in page
    assert "2026年未达到全年目标，差 20 学时。" in page and "还差" not in page

    page = client.get(reverse("training:secretary"), {"year": 2025}).content.decode()
    assert "2025年的培训" in page and "2025年没有完成的培训记录。" in page and "今年" not in page


@IN_2027
def test_a_year_to_come_is_this_year(client, tree, make_member, make_user):
    member = make_member(tree.a1, name="张晶燕")
    client.force_login(make_user("zjy", "member", tree.a1, member=member))
    page = client.get(reverse("training:secretary"), {"year": 2028}).content.decode()
    assert (
        "2028年" not in page and "今年的培训" in page
    )  # (the address itself is echoed in the language switch)
