"""The three home pages in English — a branch's work list, a 党委's roll-up, a member's own page — hold no Chinese
of the interface: Chinese left on them is data (names of organisations and people, a unit, a meeting's topic) or
inside an element marked as Chinese (`lang="zh-hans"`: the rulebook's rule titles, the language switch's "简体中文").
The pages are read from the test client's HTML, hidden parts included (a collapsed menu is still read aloud)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.dues.services import declare_base
from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member
from dangjian.orgs.models import Org

TODAY = dt.date(2026, 6, 15)
CJK_RUN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Visible(HTMLParser):
    """The text of a page and its placeholders and aria-labels, outside script, style, template and every element
    marked as Chinese (lang="zh…")."""

    def __init__(self) -> None:
        super().__init__()
        self.skipping: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        found = dict(attrs)
        skip = (
            (bool(self.skipping) and self.skipping[-1])
            or tag in ("script", "style", "template")
            or (found.get("lang") or "").startswith("zh")
        )
        if not skip:
            self.parts += [found.get("placeholder") or "", found.get("aria-label") or ""]
        if tag not in VOID:
            self.skipping.append(skip)

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.skipping.pop()

    def handle_endtag(self, tag) -> None:
        if tag not in VOID and self.skipping:
            self.skipping.pop()

    def handle_data(self, data) -> None:
        if not (self.skipping and self.skipping[-1]):
            self.parts.append(data)


def chinese_left(html: str, data: set[str]) -> list[str]:
    """The runs of Chinese characters of the page that are not data."""
    parser = _Visible()
    parser.feed(html)
    runs = CJK_RUN.findall("\n".join(parser.parts))
    return sorted({r for r in runs if not any(r in d for d in data)})


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        yield


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def data_names() -> set[str]:
    names = set(Org.objects.values_list("name", flat=True)) | set(Org.objects.values_list("unit", flat=True))
    return names | set(Member.objects.values_list("name", flat=True)) - {""}


def test_the_home_pages_in_english_show_chinese_only_as_data(english, users, tree, make_member, frozen):
    client = english
    make_member(tree.a1, name="王一", joined_on=dt.date(2010, 6, 3))  # 政治生日 this month
    make_member(tree.a2, name="王二")
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(2026, 6, 2), "topic": "六月主题党日"},
        types=["theme_day"],
    )
    declare_base(  # the member owes January … May: arrears of several months
        actor=None,
        member=users["own_member"],
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=dt.date(2026, 1, 1),
    )
    kept.refresh(Org.objects.all(), on=TODAY)
    data = data_names() | {"六月主题党日"}

    client.force_login(users["branch_a1"])
    response = client.get(reverse("dashboard"))
    html = response.content.decode()
    assert '<html lang="en"' in html
    titles = {i.title for i in response.context["work"].items if i.rule_id}
    assert titles and all(f'lang="zh-hans">{title}</span>' in html for title in titles)
    assert "<li>Branch administrator: 甲一支部 (including" in html  # the scope line, translated
    assert chinese_left(html, data) == []

    client.force_login(users["dangwei_a"])
    response = client.get(reverse("dashboard"))
    assert response.context["rollup"].rows
    assert chinese_left(response.content.decode(), data) == []
    drill = client.get(reverse("portal:work_org", args=[tree.a1.pk])).content.decode()
    assert chinese_left(drill, data) == []

    client.force_login(users["member_a1"])
    response = client.get(reverse("dashboard"))
    html = response.content.decode()
    assert len(response.context["home"].arrears) > 1 and 'data-testid="my-arrears"' in html
    assert chinese_left(html, data) == []


def test_the_check_finds_chinese_outside_data_and_marked_elements():
    html = '<p>Due <span lang="zh-hans">每月召开支部委员会</span> 甲一支部</p><p aria-label="角色：甲一支部">x</p>'
    assert chinese_left(html, {"甲一支部"}) == ["角色：甲一支部"]
    assert chinese_left("<p>2026年12月</p>", set()) == ["年", "月"]
