"""No page renders more than 100 picker options at municipal-like fan-out (issue 13).

The permission matrix's world (test_permission_matrix.py) plus, created in bulk, 150 党支部 under 甲委 and 150
members in 甲一支部: a select listing every organisation or every branch of a 党委 (or of the 工委), or every
member of a branch, would offer more than 100 options. Every URL of the matrix's table that shows the 党委管理员
a page is requested with GET (its parameters, query and headers as there) by the 工委管理员 and by the 党委管理员
of 甲委, and the `<option>` elements of each HTML page are counted (a datalist's too); the test names every
page above the limit.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from dangjian.core.tests import test_permission_matrix as matrix

pytestmark = pytest.mark.django_db

LIMIT = 100
FAN_OUT = 150
OPTION = re.compile(rb"<option[\s>]")


def _fan_out(world: matrix.World) -> None:
    from dangjian.conftest import unique_id_number
    from dangjian.core.pii import lookup_hash
    from dangjian.members.models import Member
    from dangjian.orgs.models import Org, path_segment

    parent = world.orgs["A"]
    branches = [
        Org(
            code=f"FAN{i:03d}",
            name=f"扇出第{i}支部",
            type="zhibu",
            parent=parent,
            path=f"~FAN{i:03d}",  # replaced once the primary keys are known
            depth=parent.depth + 1,
            unit=f"扇出单位{i}",
            founded_on=dt.date(2018, 3, 1),
        )
        for i in range(FAN_OUT)
    ]
    Org.objects.bulk_create(branches)
    for org in branches:
        org.path = parent.path + path_segment(org.pk)
    Org.objects.bulk_update(branches, ["path"])
    members = []
    for i in range(FAN_OUT):
        id_number = unique_id_number()
        members.append(
            Member(
                name=f"扇出党员{i}",
                id_number=id_number,
                id_number_hash=lookup_hash(id_number),
                sex="M",
                birth_date=dt.date(1985, 6, 15),
                category="formal",
                joined_on=dt.date(2010, 7, 1),
                confirmed_on=dt.date(2011, 7, 1),
                org=world.orgs["A1"],
                work_status="active",
            )
        )
    Member.objects.bulk_create(members)


@pytest.fixture(scope="module")
def fanout(django_db_setup, django_db_blocker, tmp_path_factory):
    """The matrix's world with the fan-out, a 工委管理员 and a 党委管理员's client; rolled back at the end."""
    from dangjian.accounts.models import RoleAssignment, User

    var = tmp_path_factory.mktemp("fanout")
    with (
        override_settings(
            MEDIA_ROOT=var / "media",
            VAR_DIR=var,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        world = matrix.World()
        matrix._build(world)
        _fan_out(world)
        user = User.objects.create_user(username="fan_gongwei", password=None)
        RoleAssignment.objects.create(
            user=user, role="gongwei_admin", org=world.orgs["GW"], include_descendants=True
        )
        world.users["gongwei"] = user
        world.clients["gongwei"] = client = Client()
        client.force_login(user)
        yield world
        transaction.set_rollback(True)


# Pages whose forms pick the members of a chosen organisation, requested once it is chosen (甲一, 150 more
# members): the matrix requests them without a choice.
CHOSEN = {
    "meetings:create": lambda w: {"org": w.orgs["A1"].pk, "type": "theme_day"},
    "elections:create": lambda w: {"org": w.orgs["A1"].pk, "held_on": matrix.day(w, -1)},
    "talks:talk_new": lambda w: {"org": w.orgs["A1"].pk},
    "talks:pair_new": lambda w: {"org": w.orgs["A1"].pk},
    "talks:group_new": lambda w: {"org": w.orgs["A1"].pk},
    "training:detail": lambda w: {"branch": w.orgs["A1"].pk},
    "members:list": lambda w: {"org": w.orgs["A1"].pk},
    "dues:sheet": lambda w: {"org": w.orgs["A1"].pk},
}


def _get(world: matrix.World, persona: str, name: str, row: matrix.Row):
    kwargs = row.kwargs(world) if row.kwargs else {}
    query = row.query(world) if row.query else None
    return world.clients[persona].get(reverse(name, kwargs=kwargs), query, headers=row.headers or {})


@pytest.mark.parametrize("persona", ["gongwei", "dw"])
def test_no_page_renders_more_than_100_options(fanout, persona):
    over, rendered = {}, 0
    for name, row in matrix.TABLE.items():
        if row.expected("get")["dw"] != "200":  # a refusal, a redirect or a POST-only view: no page to count
            continue
        with transaction.atomic():  # a page that writes (an audit event) is undone
            response = _get(fanout, persona, name, row)
            transaction.set_rollback(True)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        rendered += 1
        count = len(OPTION.findall(response.content))
        if count > LIMIT:
            over[name] = count
    for name, query in CHOSEN.items():
        row = matrix.TABLE[name]
        kwargs = row.kwargs(fanout) if row.kwargs else {}
        with transaction.atomic():
            response = fanout.clients[persona].get(reverse(name, kwargs=kwargs), query(fanout))
            transaction.set_rollback(True)
        assert response.status_code == 200, name
        count = len(OPTION.findall(response.content))
        if count > LIMIT:
            over[f"{name} (甲一)"] = count
    assert rendered > 50  # the pages were rendered, not refused
    assert not over, f"pages with more than {LIMIT} <option> elements ({persona}): {over}"


def test_the_fan_out_is_large_enough(fanout):
    """An unbounded picker would fail: the 党委管理员's scope has more than 100 branches and 甲一 more
    than 100 members."""
    from dangjian.members.models import Member
    from dangjian.orgs.models import Org

    assert Org.objects.visible_to(fanout.users["dw"]).filter(type="zhibu").count() > LIMIT
    assert Member.objects.filter(org=fanout.orgs["A1"]).count() > LIMIT


@pytest.mark.parametrize("persona", ["gongwei", "dw"])
def test_the_first_page_of_the_members_list_is_under_60_kb(fanout, persona):
    """Issue 13: the members list of a large scope (甲一's 150 more members, 150 more branches) stays light."""
    response = fanout.clients[persona].get(reverse("members:list"))
    assert response.status_code == 200
    assert "扇出党员" in response.content.decode()  # the fan-out's members are listed
    assert len(response.content) < 60 * 1024, len(response.content)


# The wide-range block (orgs/_wide_scope.html, the branch choosers') lists the organisations one level down by
# design: a 党委 with 150 党支部 directly under it offers them there. Everything else on a page is counted.
WIDE_BLOCK = re.compile(rb'<div class="dj-card[^"]*" data-testid="wide-scope">.*?</div>', re.S)
FAN_BRANCH = re.compile("扇出第\\d+支部".encode())
# Pages that list every organisation of a kind by purpose, whatever their number.
LISTS_BY_PURPOSE = {
    # the tree shows an expanded organisation's children (a tree of more than orgs.selectors.EAGER_LIMIT
    # organisations is sent level by level)
    "orgs:tree",
    # the annual assessment lists the 单位 it assesses (each fan-out branch is a 单位 of its own here)
    "assessment:round",
    # a 述职评议's form to add subjects offers each 党支部 of the owner's subtree with a checkbox
    "appraisals:subjects",
}


@pytest.mark.parametrize("persona", ["gongwei", "dw"])
def test_no_page_lists_every_branch_of_a_range_too_wide(fanout, persona, settings):
    """A list over more 党支部 than WIDE_LIST_BRANCHES asks for a narrower organisation (orgs.selectors.wide_scope)
    instead of listing them or their members: over 甲委's 150 more 党支部, no page names more than 100 of them outside
    the wide-range block. Pages that list organisations by purpose page or cut them on their own terms (the org
    tree's levels, the compliance overview's pages): they are held to the same count."""
    settings.WIDE_LIST_BRANCHES = 100
    settings.WIDE_ROLLUP_BRANCHES = 100  # the roll-ups' own limit (学时汇总), held to the same count here
    over, rendered = {}, 0
    for name, row in matrix.TABLE.items():
        if row.expected("get")["dw"] != "200":
            continue
        with transaction.atomic():
            response = _get(fanout, persona, name, row)
            transaction.set_rollback(True)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        rendered += 1
        count = len(set(FAN_BRANCH.findall(WIDE_BLOCK.sub(b"", response.content))))
        if count > LIMIT and name not in LISTS_BY_PURPOSE:
            over[name] = count
    assert rendered > 50
    assert not over, f"pages naming more than {LIMIT} of the range's 党支部 ({persona}): {over}"
