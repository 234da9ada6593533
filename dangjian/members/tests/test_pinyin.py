"""Names in pinyin order (拼音序): the lists that say they are ordered by name put 刘 (liu) before 任 (ren), 孙
(sun), 张 (zhang) and 周 (zhou), on SQLite and on PostgreSQL alike; code point order would give 任, 刘, 周, 孙, 张."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.pinyin import name_key
from dangjian.members.models import Member
from dangjian.members.selectors import subtree_members
from dangjian.members.services import create_members, update_member

ENTERED = ["张", "刘", "周", "孙", "任"]
PINYIN_ORDER = ["刘", "任", "孙", "张", "周"]


def test_name_key_is_the_toneless_pinyin_with_surname_readings():
    assert [name_key(n) for n in ENTERED] == ["zhang", "liu", "zhou", "sun", "ren"]
    assert sorted(ENTERED, key=name_key) == PINYIN_ORDER
    assert sorted(ENTERED) == ["任", "刘", "周", "孙", "张"]  # what code point order gives
    assert name_key("曾国藩") == "zeng guo fan"  # not ceng: the surname reading
    assert name_key("单雄信") == "shan xiong xin"
    assert name_key("Tom李") == "tom li"
    assert name_key("  ") == ""
    # a shorter name first: 张三 before 张三丰, 张 before 章安
    assert sorted(["张三丰", "章安", "张三", "张"], key=name_key) == ["张", "章安", "张三", "张三丰"]


def test_the_member_list_is_in_pinyin_order(client, tree, users, make_member):
    for name in ENTERED:
        make_member(tree.a2, name=name)
    client.force_login(users["branch_a2"])
    page = client.get(reverse("members:list"), {"org": tree.a2.pk}).content.decode()
    assert sorted(ENTERED, key=lambda n: page.index(f">{n}<")) == PINYIN_ORDER
    assert [m.name for m in subtree_members(users["branch_a2"], tree.a2)] == PINYIN_ORDER


def test_homophones_stay_together_then_by_id(tree, make_member):
    first = make_member(tree.a2, name="张伟")
    other = make_member(tree.a2, name="章伟")
    second = make_member(tree.a2, name="张伟")
    ordered = list(Member.objects.filter(org=tree.a2))  # the model's default ordering
    assert [m.pk for m in ordered] == [first.pk, second.pk, other.pk]  # 张 (U+5F20) before 章 (U+7AE0)


def test_every_writer_keeps_the_key(tree, make_member):
    member = make_member(tree.a2, name="周")
    assert member.name_pinyin == "zhou"
    update_member(actor=None, member=member, data={"name": "孙"})
    assert Member.objects.get(pk=member.pk).name_pinyin == "sun"
    member.name = "任"
    member.save(update_fields=["name"])
    assert Member.objects.get(pk=member.pk).name_pinyin == "ren"
    data = [
        {
            "name": name,
            "id_number": unique_id_number(),
            "category": "formal",
            "joined_on": dt.date(2010, 7, 1),
            "confirmed_on": dt.date(2011, 7, 1),
            "org": tree.a1,
            "work_status": "active",
        }
        for name in ENTERED
    ]
    created = create_members(actor=None, data=data)  # the import's bulk path
    assert {m.name: m.name_pinyin for m in Member.objects.filter(pk__in=[m.pk for m in created])} == {
        n: name_key(n) for n in ENTERED
    }


@pytest.mark.django_db
def test_the_migration_fills_the_key_of_existing_members(tree, make_member):
    import importlib

    migration = importlib.import_module("dangjian.members.migrations.0005_name_pinyin")
    for name in ENTERED:
        make_member(tree.a2, name=name)
    Member.objects.update(name_pinyin="")
    migration.fill_name_pinyin(apps, None)
    assert [m.name for m in Member.objects.filter(org=tree.a2)] == PINYIN_ORDER


def test_a_search_in_latin_letters_finds_names_by_their_pinyin_or_its_first_letters():
    from dangjian.core.pinyin import search_pattern

    assert search_pattern("王芳") is None and search_pattern("wf1") is None and search_pattern("  ") is None
    assert search_pattern("w" * 31) is None
    names = {
        "wang fang": "王芳",
        "wu fei": "吴飞",
        "wang han": "汪涵",
        "zeng guo fan": "曾国藩",
        "tom li": "Tom李",
    }

    def found(query: str) -> set[str]:
        import re

        pattern = search_pattern(query)
        return {name for key, name in names.items() if re.search(pattern, key)}

    assert found("wangfang") == found("WangFang") == found("wang f") == found("wangf") == {"王芳"}
    assert found("wf") == {"王芳", "吴飞"}
    assert found("wh") == {"汪涵"} and found("w") == {"王芳", "吴飞", "汪涵"}
    assert found("zgf") == found("zengguofan") == {"曾国藩"}
    assert (
        found("wg") == found("fang") == found("wn") == set()
    )  # each syllable from its start, the first first
    assert found("tom") == {"Tom李"}


@pytest.mark.django_db
def test_the_roll_and_the_member_picker_search_by_pinyin_on_either_database(client, users, tree, make_member):
    for name in ("王芳", "吴飞", "汪涵", "曾国藩"):
        make_member(tree.a1, name=name)
    client.force_login(users["branch_a1"])

    def listed(q: str) -> list[str]:
        page = client.get(reverse("members:list"), {"q": q}).context["page"]
        return sorted(m.name for m in page.object_list)

    assert listed("wf") == ["吴飞", "王芳"] and listed("wangfang") == ["王芳"]
    assert listed("zgf") == ["曾国藩"] and listed("王") == ["王芳"] and listed("wg") == []
    picker = client.get(
        reverse("orgs:member_options", args=[tree.a1.pk]), {"member_q": "wh"}
    ).content.decode()
    assert "汪涵" in picker and "王芳" not in picker
