"""The audit page as the 审计管理员 reads it: narrowed to an organisation's subtree (a type-ahead among the
organisations the reader may name), a backwards date range said on the form, changes in words (an organisation by its
name with its code, 是/否, lists with 、, an account's 账号状态 启用 → 停用), a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.models import AuditEvent

URL = "/audit/"
ORGS_URL = "/audit/orgs/"


def reprs(response) -> list[str]:
    return [e.object_repr for e in response.context["page"]]


def event(org, repr_, **kwargs) -> AuditEvent:
    return audit.record(
        actor=None,
        action=kwargs.pop("action", "update"),
        object_type=kwargs.pop("object_type", "orgs.org"),
        object_repr=repr_,
        org_path=org.path if org is not None else "",
        **kwargs,
    )


@pytest.fixture
def spread(tree):
    """One event filed under each organisation of the tree, and one under none (a sign-in's)."""
    for key in ("gw", "a_dz", "a", "a1", "a1g1", "a2", "b", "b_zz", "b1"):
        event(getattr(tree, key), f"事件{key}")
    event(None, "事件无组织")


def shown(response) -> set[str]:
    return {r for r in reprs(response) if r.startswith("事件")}


def test_the_auditor_narrows_the_log_to_an_organisation_and_its_subtree(client, system_users, tree, spread):
    client.force_login(system_users["shenji"])
    response = client.get(URL, {"org": tree.a.pk})
    assert response.status_code == 200
    assert shown(response) == {"事件a", "事件a1", "事件a1g1", "事件a2"}
    assert all(e.org_path.startswith(tree.a.path) for e in response.context["page"])
    assert shown(client.get(URL, {"org": tree.a1.pk})) == {"事件a1", "事件a1g1"}
    assert shown(client.get(URL, {"org": tree.b_zz.pk})) == {"事件b_zz", "事件b1"}
    everything = shown(client.get(URL))
    assert {"事件gw", "事件b", "事件无组织"} <= everything
    # the chosen organisation stays chosen, by its name and code, and the filter combines with the others
    html = client.get(URL, {"org": tree.a.pk, "action": "update"}).content.decode()
    assert f'<option value="{tree.a.pk}" selected>甲委机关党委（A）</option>' in html


def test_each_event_names_its_organisation(client, system_users, tree, spread):
    client.force_login(system_users["shenji"])
    response = client.get(URL, {"org": tree.a1.pk})
    by_repr = {e.object_repr: e for e in response.context["page"]}
    assert (by_repr["事件a1g1"].org_name, by_repr["事件a1g1"].org_code) == ("甲一第一党小组", "A1G1")
    html = response.content.decode()
    assert re.search(r'data-testid="event-org">甲一支部 <span class="text-nowrap">A1</span>', html)


def test_an_administrator_narrows_within_the_scope_only(client, users, tree, spread):
    client.force_login(users["dangwei_a"])
    assert shown(client.get(URL, {"org": tree.a1.pk})) == {"事件a1", "事件a1g1"}
    response = client.get(URL, {"org": tree.b.pk})  # another 党委: named nowhere, nothing listed
    html = response.content.decode()
    assert response.status_code == 200 and reprs(response) == []
    assert "所选组织不存在或不在您的管理范围内" in html
    assert "乙委机关党委" not in html and "事件b" not in html


def test_a_backwards_date_range_is_said_and_keeps_what_was_typed(client, system_users, tree, spread):
    client.force_login(system_users["shenji"])
    response = client.get(URL, {"date_from": "2026-12-20", "date_to": "2026-12-01", "actor": "xitong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "开始日期（2026-12-20）晚于结束日期（2026-12-01），请重新选择日期范围。"
    ]
    assert 'data-testid="filter-errors"' in html and "开始日期（2026-12-20）晚于结束日期" in html
    assert 'value="2026-12-20"' in html and 'value="2026-12-01"' in html and 'value="xitong"' in html
    assert html.count("is-invalid") == 2  # both dates marked
    assert reprs(response) == [] and "筛选条件有误" in html  # not the whole log as if filtered
    assert 'data-testid="audit-export"' not in html  # nothing to export
    # the same day twice is a range of one day
    today = timezone.localdate().isoformat()
    assert shown(client.get(URL, {"date_from": today, "date_to": today})) >= {"事件a", "事件b"}


def test_the_organisation_search_offers_names_and_codes_within_what_the_reader_may_name(
    client, users, system_users, tree
):
    from dangjian.orgs.services import create_org

    gone = create_org(
        actor=None,
        data={
            "code": "A9",
            "name": "甲九支部",
            "type": "zhibu",
            "parent": tree.a,
            "founded_on": dt.date(2018, 3, 1),
        },
    )
    type(gone).objects.filter(pk=gone.pk).update(dissolved_on=dt.date(2025, 6, 30))

    def options(user, **query) -> list[tuple[str, str]]:
        client.force_login(user)
        html = client.get(ORGS_URL, query).content.decode()
        return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)

    found = options(system_users["shenji"], org_q="甲")
    labels = [label for _value, label in found]
    # highest levels first; a dissolved organisation too (its events stay in the log), marked
    assert labels == [
        "全部组织",
        "甲委党组（A-DZ）",
        "甲委机关党委（A）",
        "甲一支部（A1）",
        "甲二支部（A2）",
        "甲九支部（A9，已撤销）",
        "甲一第一党小组（A1G1）",
    ]
    assert options(system_users["shenji"], org_q="b-")[1:] == [
        (str(tree.b_zz.pk), "乙总支（B-ZZ）")
    ]  # by code
    html = client.get(ORGS_URL, {"org_q": "甲一"}).content.decode()
    assert f'<option value="{tree.a1.pk}" selected>' in html  # the first match chosen
    assert options(system_users["shenji"], org_q="无此组织") == [("", "没有找到组织（全部组织）")]
    # without a search: the chosen one only
    assert options(system_users["shenji"], org=str(tree.b1.pk)) == [
        ("", "全部组织"),
        (str(tree.b1.pk), "乙一支部（B1）"),
    ]
    # a branch's administrator finds their own organisations only
    assert [label for _v, label in options(users["branch_a1"], org_q="支部")[1:]] == ["甲一支部（A1）"]
    assert options(users["branch_a1"], org=str(tree.b1.pk)) == [("", "全部组织")]
    # nobody else
    client.force_login(system_users["xitong"])
    assert client.get(ORGS_URL, {"org_q": "甲"}).status_code == 403
    client.force_login(users["member_a1"])
    assert client.get(ORGS_URL, {"org_q": "甲"}).status_code == 403


def test_the_search_suggests_at_most_twenty_and_the_page_stays_under_a_hundred_options(
    client, system_users, tree
):
    from dangjian.orgs.services import create_org

    for i in range(30):
        create_org(
            actor=None,
            data={
                "code": f"AX{i}",
                "name": f"甲委第{i}支部",
                "type": "zhibu",
                "parent": tree.a,
                "founded_on": dt.date(2018, 3, 1),
            },
        )
    # every action and object type of the log on the page's selects
    for action in AuditEvent.Action.values:
        audit.record(actor=None, action=action, object_type="orgs.org", object_repr=action)
    client.force_login(system_users["shenji"])
    assert client.get(ORGS_URL, {"org_q": "支部"}).content.decode().count("<option") == 21
    html = client.get(URL, {"org": tree.a.pk}).content.decode()
    assert html.count("<option") < 100
    picker = re.search(r'<select name="org"[^>]*>(.*?)</select>', html, re.S)
    assert picker is not None and picker.group(1).count("<option") == 2  # 全部组织 and the chosen one


def test_changes_read_naturally(client, users, system_users, tree, make_member):
    """An account deactivated reads 账号状态 启用 → 停用; a member moved reads 所在组织 甲一支部 → 甲二支部 with the codes
    beside the names; a boolean 是/否; a list joined with 、; a planned meeting's types by their names."""
    from dangjian.accounts.sysroles import set_active
    from dangjian.members.services import update_member

    set_active(actor=system_users["xitong"], user=users["branch_a2"], active=False)
    member = make_member(tree.a1, name="调动甲")
    update_member(actor=None, member=member, data={"org": tree.a2, "is_leader": True})
    event(
        tree.a1,
        "样例计划",
        object_type="meetings.plannedmeeting",
        before={"types": ["theme_day"], "topic": "旧"},
        after={"types": ["theme_day", "committee"], "topic": "新"},
    )
    event(tree.a1, "样例步骤", object_type="pipeline.casestep", after={"contacts": ["联系人甲", "联系人乙"]})
    client.force_login(system_users["shenji"])

    def diff(**query):
        [found] = client.get(URL, query).context["page"]
        return found.diff

    assert diff(action="deactivate") == [("账号状态", "启用", "停用")]
    moved = dict(
        (label, (before, after))
        for label, before, after in diff(object_type="members.member", action="update")
    )
    assert moved["所在组织"] == ("甲一支部", "甲二支部")
    assert (moved["所在组织"][0].code, moved["所在组织"][1].code) == ("A1", "A2")
    assert moved["是否领导干部"] == ("否", "是")
    html = client.get(URL, {"object_type": "members.member", "action": "update"}).content.decode()
    assert '<del>甲一支部 <small class="dj-muted">A1</small></del>' in html
    assert '<ins>甲二支部 <small class="dj-muted">A2</small></ins>' in html
    planned = dict((label, (b, a)) for label, b, a in diff(object_type="meetings.plannedmeeting"))
    assert planned["活动类型"] == ("主题党日", "主题党日、支部委员会")
    assert diff(object_type="pipeline.casestep") == [("培养联系人", "—", "联系人甲、联系人乙")]
    assert "['" not in client.get(URL).content.decode()  # no list as Python writes it


def test_the_log_s_own_events_read_in_words(client, system_users, tree):
    """A pruning's snapshot (its keys and its times) and a check of the chain read as words."""
    event(
        None,
        "清理",
        action="prune",
        object_type="core.auditevent",
        after={
            "count": 3,
            "before": "2026-01-01",
            "first_at": "2026-01-01T08:00:00+00:00",
            "last_hash": "ab" * 32,
        },
    )
    client.force_login(system_users["shenji"])
    [pruned] = client.get(URL, {"action": "prune"}).context["page"]
    assert dict((label, after) for label, _before, after in pruned.diff) == {
        "清理条数": "3",
        "清理此日期之前的记录": "2026-01-01",
        "首条时间": "2026-01-01 16:00:00",  # in the site's zone
        "末条哈希": "ab" * 32,
    }


def test_organisation_names_are_read_once_per_page(client, system_users, tree, make_member):
    """Each change names organisations by 组织编码 (a member's move) or by id (a case's 党支部): their names come from
    one query for the whole page, whatever the number of rows."""

    def moves(n: int, start: int) -> None:
        for i in range(start, start + n):
            event(
                tree.a1,
                f"移动{i}",
                object_type="members.member",
                before={"org": "A1", "name": f"甲{i}"},
                after={"org": "A2", "name": f"乙{i}"},
            )
            event(
                tree.a1,
                f"案例{i}",
                object_type="pipeline.developmentcase",
                before={"org": tree.b1.pk},
                after={"org": tree.a1.pk},
            )

    client.force_login(system_users["shenji"])
    moves(1, 0)
    query = {"org": tree.a.pk, "action": "update"}
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL, query).status_code == 200
    moves(30, 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, query)
    assert len(response.context["page"]) == 50
    assert len(many.captured_queries) == len(one.captured_queries)
    # session, user, scope, object types, the chosen organisation and the ids of its subtree, the latest check of the
    # chain, count, page, the organisations the changes name
    assert len(many.captured_queries) <= 10
    names = [q["sql"] for q in many.captured_queries if q["sql"].startswith('SELECT "orgs_org"."id" AS "pk"')]
    assert len(names) == 1  # by id and by code at once
    diffs = {e.object_repr: e.diff for e in response.context["page"]}
    assert ("党支部", "乙一支部", "甲一支部") in diffs["案例30"]
    assert ("所在组织", "甲一支部", "甲二支部") in diffs["移动30"]


def test_the_page_is_read_by_the_same_people_as_before(client, users, system_users):
    client.force_login(system_users["xitong"])
    assert client.get(URL).status_code == 403
    client.force_login(system_users["anquan"])
    assert client.get(URL).status_code == 403
    client.force_login(users["member_a1"])
    assert client.get(URL).status_code == 403
    client.force_login(users["branch_a1"])
    html = client.get(URL).content.decode()
    # an administrator reads and filters; the export and the check of the chain are the 审计管理员's
    assert 'data-testid="audit-export"' not in html and 'data-testid="audit-verify"' not in html
    client.force_login(system_users["shenji"])
    html = client.get(URL).content.decode()
    assert 'data-testid="audit-export"' in html and 'data-testid="audit-verify"' in html
    assert reverse("portal:audit_export") in html
