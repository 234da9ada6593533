"""The audit log page: scoped to the user's subtree, filterable, diffs shown with personal data masked,
a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.context import reset_request_id, set_request_id
from dangjian.members.services import update_member
from dangjian.orgs.services import update_org

URL = "/audit/"


def reprs(response) -> list[str]:
    return [e.object_repr for e in response.context["page"]]


def test_url_name():
    assert reverse("portal:audit") == URL


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/audit/"


@pytest.mark.parametrize("who", ["member_a1", "norole"])
def test_users_without_admin_role_get_403(client, users, who):
    client.force_login(users[who])
    assert client.get(URL).status_code == 403


def test_each_admin_sees_events_of_own_subtree_newest_first(client, users):
    client.force_login(users["dangwei_a"])
    assert reprs(client.get(URL)) == ["李党员", "甲二支部", "甲一第一党小组", "甲一支部", "甲委机关党委"]
    client.force_login(users["branch_a2"])
    assert reprs(client.get(URL)) == ["甲二支部"]
    client.force_login(users["gongwei"])
    response = client.get(URL)
    # the ten records' events, and the three sign-ins of this test (no organisation: the 工委管理员 sees them)
    assert response.context["page"].paginator.count == 13
    assert reprs(response)[:3] == ["gongwei", "branch_a2", "dangwei_a"]
    assert reprs(response)[-1] == "市级机关工作党委"


def test_filters_by_action_object_type_actor_and_dates(client, users, tree):
    token = set_request_id("req-audit-0001")
    try:
        update_org(actor=users["dangwei_a"], org=tree.a1, data={"name": "甲一党支部"})
    finally:
        reset_request_id(token)
    client.force_login(users["dangwei_a"])
    today = timezone.localdate()
    assert reprs(client.get(URL, {"action": "update"})) == ["甲一党支部"]
    assert reprs(client.get(URL, {"object_type": "members.member"})) == ["李党员"]
    assert reprs(client.get(URL, {"actor": "dangwei"})) == ["甲一党支部"]
    assert len(reprs(client.get(URL, {"date_from": today.isoformat(), "date_to": today.isoformat()}))) == 6
    assert reprs(client.get(URL, {"date_from": (today + dt.timedelta(days=1)).isoformat()})) == []
    assert reprs(client.get(URL, {"date_to": (today - dt.timedelta(days=1)).isoformat()})) == []
    response = client.get(URL, {"action": "update"})
    html = response.content.decode()
    assert "req-audit-0001" in html
    assert response.context["page"][0].diff == [("组织名称", "甲一支部", "甲一党支部")]
    assert "<del>甲一支部</del>" in html and "<ins>甲一党支部</ins>" in html
    assert [label for _, label in response.context["form"].fields["object_type"].choices] == [
        "全部对象",
        "党员",
        "组织",
    ]


def test_personal_data_in_diffs_stays_masked(client, users):
    member = users["own_member"]
    update_member(actor=users["branch_a1"], member=member, data={"phone": "13987654321"})
    client.force_login(users["branch_a1"])
    response = client.get(URL, {"action": "update"})
    html = response.content.decode()
    assert response.context["page"][0].diff == [("手机号码", "138****5678", "139****4321")]
    assert "13987654321" not in html and "13812345678" not in html
    assert member.id_number not in html


def test_audit_page_query_count_does_not_grow(client, users, tree, django_assert_max_num_queries):
    for i in range(60):
        update_org(actor=users["gongwei"], org=tree.a1, data={"name": f"甲一支部{i}"})
    client.force_login(users["gongwei"])
    # session, user, scope, object types, count, page
    with django_assert_max_num_queries(7):  # +1: the header's unread count
        response = client.get(URL)
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.count == 71  # the records' 70 events and the sign-in
    with django_assert_max_num_queries(7):  # +1: the header's unread count
        second = client.get(URL, {"page": 2, "actor": "gongwei"})
    assert len(second.context["page"]) == 11  # 60 updates and the sign-in


def test_operation_events_are_labelled_in_chinese(client, users, tree):
    from dangjian.core import audit

    audit.record(
        actor=None, action="import", object_type="import", object_repr="党员导入", org_path=tree.a.path
    )
    client.force_login(users["dangwei_a"])
    response = client.get(URL, {"object_type": "import"})
    assert [e.type_label for e in response.context["page"]] == ["数据导入"]


def test_a_diff_of_a_reverse_relation_is_labelled_with_the_related_records(client, users, tree, make_member):
    """Adding participants records the training's "participants" (a reverse relation, no verbose_name of its
    own): the page showed a server error."""
    from decimal import Decimal

    from dangjian.training.services import add_participants, create_training

    training = create_training(
        actor=None,
        data={
            "title": "轮训",
            "organiser": "党校",
            "level": "other",
            "org": tree.a1,
            "started_on": dt.date(2026, 4, 1),
            "hours": Decimal("8"),
        },
    )
    add_participants(actor=None, training=training, members=[make_member(tree.a1, name="参训甲")])
    client.force_login(users["branch_a1"])
    response = client.get(URL, {"object_type": "training.training", "action": "update"})
    assert response.status_code == 200
    [event] = response.context["page"]
    # (the order of a snapshot's keys is the database's: jsonb sorts them)
    assert sorted(label for label, _before, _after in event.diff) == ["参训人员", "已完成培训"]


def test_a_diffs_codes_and_record_ids_read_as_words(client, users, tree, make_member):
    """The 审计管理员 reads a development case's 当前阶段 and 状态 by their labels (not applicant → activist), its 党员
    by name (not — → 203, an id; one gone since by #id), a step's key by the workflow's name for it, and a
    snapshot's key of no field by its app's label (步骤名称, not step); with one query per related model."""
    from dangjian.core import audit

    member = make_member(tree.a1, name="入党甲")
    audit.record(
        actor=None,
        action="update",
        object_type="pipeline.developmentcase",
        object_id="1",
        object_repr="入党甲",
        org_path=tree.a1.path,
        before={"stage": "applicant", "status": "open", "member": None, "org": 999_999},
        after={"stage": "activist", "status": "admitted", "member": member.pk, "org": tree.a1.pk},
    )
    audit.record(
        actor=None,
        action="create",
        object_type="pipeline.casestep",
        object_id="1",
        object_repr="入党甲",
        org_path=tree.a1.path,
        after={"step": "递交入党申请书", "key": "application"},
    )
    client.force_login(users["branch_a1"])
    response = client.get(URL, {"object_type": "pipeline.developmentcase"})
    [event] = response.context["page"]
    assert sorted(event.diff) == [
        ("党员", "—", "入党甲"),
        ("党支部", "#999999", "甲一支部"),
        ("当前阶段", "入党申请人", "入党积极分子"),
        ("状态", "培养中", "预备期"),
    ]
    step = client.get(URL, {"object_type": "pipeline.casestep"}).context["page"][0]
    assert sorted(step.diff) == [("步骤", "—", "递交入党申请书"), ("步骤名称", "—", "递交入党申请书")]


def project_models():
    """Every model of the project's apps: a superset of those services record events for, so that a new model
    (with reverse relations, many-to-many fields …) is covered without editing this list."""
    from django.apps import apps

    return [m for m in apps.get_models() if m.__module__.startswith("dangjian.")]


def test_the_audit_page_shows_an_event_of_every_model_with_every_field_changed(client, users, tree, settings):
    """An event naming every field and relation of its model (reverse ones included: a meeting's attachments,
    a training's participants), as a service's snapshot may, for every model: the page shows them all."""
    from dangjian.core import audit

    models = project_models()
    audited = {"orgs.org", "members.member", "meetings.meeting", "training.training", "dues.duespayment"}
    assert audited <= {m._meta.label_lower for m in models}
    for model in models:
        names = [f.name for f in model._meta.get_fields()] + ["summary"]
        audit.record(
            actor=users["gongwei"],
            action="update",
            object_type=model._meta.label_lower,
            object_id="1",
            object_repr=f"样例 {model._meta.label_lower}",
            org_path=tree.a1.path,
            before={name: f"旧{name}" for name in names},
            after={name: f"新{name}" for name in names},
        )
    settings.PAGE_SIZE = 1000
    client.force_login(users["gongwei"])
    response = client.get(URL, {"action": "update"})
    assert response.status_code == 200
    html = response.content.decode()
    shown = {e.object_type: e for e in response.context["page"]}
    for model in models:
        event = shown[model._meta.label_lower]
        assert event.type_label == str(model._meta.verbose_name)
        assert f'<td class="text-nowrap" data-label="对象类型">{event.type_label}</td>' in html
        labels = [label for label, _before, _after in event.diff]
        assert len(labels) == len(model._meta.get_fields()) + 1 and "summary" in labels
        assert all(isinstance(label, str) and label for label in labels)
    meeting = shown["meetings.meeting"]
    assert ("附件", "旧attachments", "新attachments") in meeting.diff


def test_every_action_s_badge_has_a_background(client, users, tree, settings):
    """The action's badge is white text: each one carries the `dj-action` class, whose rule gives it a background
    (an export, a failed sign-in or a password change was once white on white)."""
    import re

    from dangjian.core import audit
    from dangjian.core.models import AuditEvent

    for action in AuditEvent.Action.values:
        audit.record(actor=None, action=action, object_type="user", object_repr=action, org_path=tree.a.path)
    client.force_login(users["dangwei_a"])
    html = client.get(URL, {"object_type": "user"}).content.decode()
    badges = re.findall(r'<span class="badge ([^"]*)">', html)
    shown = {c.removeprefix("dj-action-") for b in badges for c in b.split() if c.startswith("dj-action-")}
    assert len(shown) >= 20  # the page's first page of them
    assert all("dj-action" in b.split() for b in badges if "dj-action-" in b)
    css = (settings.BASE_DIR / "static" / "css" / "dangjian.css").read_text(encoding="utf-8")
    assert re.search(r"^\.dj-action \{ background: #[0-9a-f]{6}; \}", css, re.M)


def test_every_object_type_the_code_records_has_a_label():
    """An object type written by the code (a model's label, or an operation's or a derived table's name) is shown by
    its label on the page, never as "dues.ledger": every literal `object_type="…"` and `export_type = "…"` of the
    application is checked."""
    import re
    from pathlib import Path

    from dangjian.portal.views import type_label

    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'(?:object_type=|export_type = |_TYPE = )"([a-z_.]+)"', text))
    assert {"compliance.result", "dues.ledger", "accounts.user", "import"} <= found
    assert [t for t in sorted(found) if type_label(t) == t] == []


def test_record_names_are_read_once_per_related_model(client, users, tree, make_member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.core import audit

    def events(n: int) -> None:
        for i in range(n):
            member = make_member(tree.a1, name=f"党员{i}")
            audit.record(
                actor=None,
                action="update",
                object_type="movements.transfer",
                object_id=str(i),
                object_repr=member.name,
                org_path=tree.a1.path,
                before={"member": member.pk, "from_org": tree.a1.pk, "state": "pending"},
                after={"member": member.pk, "from_org": tree.a2.pk, "state": "accepted"},
            )

    client.force_login(users["gongwei"])
    events(1)
    with CaptureQueriesContext(connection) as one:
        client.get(URL, {"object_type": "movements.transfer"})
    events(20)
    with CaptureQueriesContext(connection) as many:
        page = client.get(URL, {"object_type": "movements.transfer"}).context["page"]
    assert len(page) == 21 and len(many.captured_queries) == len(one.captured_queries)
    assert ("转出组织", "甲一支部", "甲二支部") in page[0].diff
