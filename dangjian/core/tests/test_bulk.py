"""`core.bulk.insert_rows`: plain rows written as `bulk_create` would write them (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.bulk import advance_sequences, first_free_pk, insert_rows
from dangjian.members.models import MemberHistory
from dangjian.orgs.models import Org, path_segment


def test_columns_not_given_get_their_defaults_and_timestamps(tree, make_member):
    member = make_member(tree.a1)
    before = dt.datetime.now(dt.UTC)
    insert_rows(
        MemberHistory,
        ["member_id", "field", "new_value", "effective_on"],
        [
            (member.pk, "org", "第一支部", dt.date(2026, 3, 1)),
            (member.pk, "org", "第二支部", dt.date(2026, 4, 1)),
        ],
    )
    rows = list(MemberHistory.objects.filter(member=member).order_by("effective_on"))
    assert [(h.new_value, h.old_value, h.old_org_id, h.actor_id) for h in rows] == [
        ("第一支部", "", None, None),
        ("第二支部", "", None, None),
    ]
    assert all(h.at >= before - dt.timedelta(seconds=1) for h in rows)
    assert rows[0].pk != rows[1].pk  # keys from the table's own sequence


def test_a_required_column_without_a_default_is_refused(tree, make_member):
    member = make_member(tree.a1)
    with pytest.raises(ValueError, match="effective_on"):
        insert_rows(MemberHistory, ["member_id", "field", "new_value"], [(member.pk, "org", "x")])


def test_keys_assigned_by_the_writer_are_followed_by_later_saves(tree):
    pk = first_free_pk(Org)
    assert pk > max(Org.objects.values_list("pk", flat=True))
    path = tree.a1.path + path_segment(pk)
    columns = ["id", "code", "name", "type", "parent_id", "path", "depth", "unit", "is_retiree_branch"]
    insert_rows(
        Org, columns, [(pk, "BULK1", "批量党小组", "xiaozu", tree.a1.pk, path, path.count("/"), "", False)]
    )
    advance_sequences([Org])
    later = Org(code="LATER", name="后建", type="xiaozu", parent=tree.a1, path="tmp-later", depth=1)
    later.save()  # would collide with the key above on PostgreSQL without advance_sequences
    assert later.pk > pk
