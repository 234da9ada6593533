"""The daily reminders: the workbench's overdue items and those coming due within their category's lead time
become notifications for the branch's administrators, never the same item to the same person twice within a
week; the task reads every branch at once (its query count does not grow with them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dangjian.compliance import kept
from dangjian.compliance.models import KeptResult
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.workbench import OrgLabel, WorkItem
from dangjian.core.messages import Join, Message
from dangjian.core.models import AuditEvent
from dangjian.dues.services import declare_base, set_collection_day
from dangjian.orgs.models import Org
from dangjian.portal.workbench import work_list
from dangjian.reminders.models import Notification
from dangjian.reminders.params import load_params
from dangjian.reminders.services import is_told, item_key, send_reminders

TODAY = dt.date(2026, 6, 15)


def refresh(on: dt.date = TODAY) -> None:
    kept.refresh(Org.objects.all(), on=on)


def theme_day(user, period: str):
    return Notification.objects.filter(
        recipient=user, title__contains="主题党日", period=period, org__code="A1"
    )


def test_overdue_items_go_to_the_branch_admins_and_not_to_siblings_or_members(users, tree, make_member):
    make_member(tree.a1, name="王一")
    refresh()

    report = send_reminders(on=TODAY)

    assert report.created == Notification.objects.count() > 0
    may = theme_day(users["branch_a1"], "2026-05").get()
    assert may.overdue and may.due == dt.date(2026, 5, 31) and may.day == TODAY
    assert may.link.startswith("/meetings/") and may.read_at is None
    items = Notification.objects.exclude(category="summary")
    assert set(items.values_list("recipient__username", flat=True)) == {"branch_a1", "branch_a2"}
    # each administrator hears only of their own branch's items
    assert not Notification.objects.filter(recipient=users["branch_a2"], org=tree.a1).exists()
    assert not Notification.objects.filter(recipient=users["branch_a1"], org=tree.a2).exists()
    assert AuditEvent.objects.filter(action="notify", note=f"生成提醒{report.created}条").count() == 1


def test_a_run_in_english_notes_its_count_in_english(users, tree, make_member):
    make_member(tree.a1, name="王一")
    refresh()
    with translation.override("en"):
        report = send_reminders(on=TODAY)
    assert report.created > 0
    assert AuditEvent.objects.get(action="notify").note == f"Reminders created: {report.created}"


def test_the_dangwei_and_gongwei_get_one_summary_a_day_of_the_overdue_items_in_their_scope(
    users, tree, make_member
):
    make_member(tree.a1, name="王一")
    refresh()
    send_reminders(on=TODAY)
    send_reminders(on=TODAY)  # run twice the same day: still one summary
    summaries = Notification.objects.filter(category="summary")
    assert set(summaries.values_list("recipient__username", flat=True)) == {"dangwei_a", "gongwei"}
    dangwei = summaries.get(recipient=users["dangwei_a"])
    # the overdue items of 甲委's work list (its branches' and its own)
    n = sum(1 for i in work_list(users["dangwei_a"], on=TODAY).items if i.overdue)
    assert n > 0 and f"共有{n}项逾期事项" in dangwei.text
    assert dangwei.link == "/" and dangwei.overdue
    assert (
        not Notification.objects.filter(recipient__username__in=["dangwei_a", "gongwei"])
        .exclude(category="summary")
        .exists()
    )
    send_reminders(on=TODAY + dt.timedelta(days=1))
    assert Notification.objects.filter(recipient=users["dangwei_a"], category="summary").count() == 2


def test_an_item_is_not_told_to_the_same_person_twice_within_seven_days(users, tree, make_member):
    make_member(tree.a1, name="王一")
    refresh()
    send_reminders(on=TODAY)
    first = Notification.objects.count()

    for days in range(1, 7):
        send_reminders(on=TODAY + dt.timedelta(days=days))
    assert theme_day(users["branch_a1"], "2026-05").count() == 1
    # the pairs told in those days are all different
    pairs = list(Notification.objects.values_list("recipient_id", "key"))
    assert len(pairs) == len(set(pairs)) >= first

    send_reminders(on=TODAY + dt.timedelta(days=7))  # a week later, still overdue: told again
    assert list(theme_day(users["branch_a1"], "2026-05").values_list("day", flat=True)) == [
        TODAY + dt.timedelta(days=7),
        TODAY,
    ]


def test_a_second_administrator_of_the_branch_and_one_over_its_subtree_hear_of_it_too(
    users, tree, make_member, make_user
):
    make_member(tree.a1, name="王一")
    second = make_user("branch_a1_b", "branch_admin", tree.a1)
    over_group = make_user(
        "group_admin", "branch_admin", tree.a1g1
    )  # only the 党小组: not the branch's items
    refresh()
    send_reminders(on=TODAY)
    assert theme_day(second, "2026-05").count() == 1
    assert not Notification.objects.filter(recipient=over_group, org=tree.a1).exists()


def test_this_months_dues_are_told_once_from_three_days_before_the_collection_day(users, tree, make_member):
    member = make_member(tree.a1, name="王一")
    base = {"year": 2026, "category": "active", "monthly_base": Decimal("6500")}
    declare_base(actor=None, member=member, effective_month=dt.date(2026, 1, 1), **base)
    set_collection_day(actor=None, org=tree.a1, day=18)
    refresh(dt.date(2026, 6, 10))

    def told() -> list[dt.date]:
        found = Notification.objects.filter(
            recipient=users["branch_a1"], category="dues", period="2026-06", overdue=False
        )
        return list(found.values_list("day", flat=True))

    send_reminders(on=dt.date(2026, 6, 14))  # four days before: not yet
    assert told() == []
    for day in range(15, 19):
        send_reminders(on=dt.date(2026, 6, day))
    assert told() == [dt.date(2026, 6, 15)]
    found = Notification.objects.get(recipient=users["branch_a1"], category="dues", period="2026-06")
    assert found.due == dt.date(2026, 6, 18) and "1名党员本月党费尚未交清" in found.text


def _keep(org, rule_id: str, message: Message) -> None:
    """A failed result of this year as the nightly refresh keeps it (its message as the check words it)."""
    KeptResult.objects.update_or_create(
        version=load_ruleset().version,
        year=2026,
        org=org,
        rule_id=rule_id,
        defaults={
            "unit_key": org.unit or "",
            "org_path": org.path,
            "status": "fail",
            "missing": [],
            "evidence": [],
            "message": message.to_json(),
            "since": dt.date(2026, 6, 1),
            "digest": f"{org.pk}-{rule_id}",
        },
    )


def _training(*deadlines: str) -> Message:
    gaps = [
        Message(
            "%(name)s（%(start)s任职，%(deadline)s前未接受集中培训）", name=n, start="2025-09-01", deadline=d
        )
        for n, d in zip(("甲", "乙"), deadlines, strict=False)
    ]
    return Message("新任书记未在任职6个月内接受集中培训：%(details)s。", details=Join(gaps))


def test_a_kept_results_item_is_told_once_a_week_whatever_day_it_names(users, tree):
    """A failed result's item is one item while it fails, whatever deadline it names: a term with no start
    registered names none (检查发现于), then the term end once registered; a new secretary's training names the
    earliest of its secretaries' deadlines, which moves when the first one's training is recorded. Neither change
    tells the branch again within the week."""
    term, training = "ORG-TERM-ON-TIME", "TRAIN-SECRETARY-NEW-6M"
    _keep(tree.a1, term, Message("未登记本届开始日期（或成立日期），无法判断是否按期换届，请补充。"))
    _keep(tree.a1, training, _training("2026-03-01", "2026-05-02"))

    def due() -> dict[str, dt.date | None]:
        items = work_list(users["branch_a1"], on=TODAY).items
        return {i.rule_id: i.due for i in items if i.rule_id in (term, training)}

    def told() -> dict[str, int]:
        rows = Notification.objects.filter(recipient=users["branch_a1"], org=tree.a1)
        return {r: rows.filter(title=load_ruleset().rule(r).title).count() for r in (term, training)}

    assert due() == {term: None, training: dt.date(2026, 3, 1)}
    send_reminders(on=TODAY)
    assert told() == {term: 1, training: 1}

    ended = Message("本届任期已于%(end)s届满，尚未换届（%(term)s）。", end="2025-06-30", term=Message("任期"))
    _keep(tree.a1, term, ended)
    _keep(tree.a1, training, _training("2026-05-02"))
    assert due() == {term: dt.date(2025, 6, 30), training: dt.date(2026, 5, 2)}
    for days in range(1, 7):
        send_reminders(on=TODAY + dt.timedelta(days=days))
    assert told() == {term: 1, training: 1}
    send_reminders(on=TODAY + dt.timedelta(days=7))  # a week later, still failing: told again
    assert told() == {term: 2, training: 2}


def test_the_items_key_holds_its_period_or_a_providers_due_date():
    """Per missed period, one key each; a provider's item (no rule) is another item when its day changes (the
    next contact due with a member abroad); a kept result's item of this year is the same whatever its day."""
    org = OrgLabel(1, "甲一支部", "00000001/")
    june, july = dt.date(2026, 6, 30), dt.date(2026, 7, 31)

    def key(due, period="", rule_id="", title="事项") -> str:
        return item_key(WorkItem("meetings", title, org, due, True, "", period, None, None, rule_id))

    assert key(june, "2026-06", "R") != key(july, "2026-07", "R")
    assert key(june) != key(july)
    assert key(june, rule_id="R") == key(july, rule_id="R") == key(None, rule_id="R")
    assert key(june, rule_id="R") != key(june, "2025", rule_id="R")  # last year's result: another item


def _item(category: str, due: dt.date, overdue: bool = False) -> WorkItem:
    return WorkItem(category, "事项", OrgLabel(1, "甲一支部", "00000001/"), due, overdue)


def test_lead_times_come_from_the_rules_file():
    params = load_params()
    assert params.lead_days == {"dues": 3, "elections": 183, "pipeline": 14}
    assert params.repeat_after_days == 7
    on = TODAY
    assert is_told(_item("pipeline", on + dt.timedelta(days=14)), on, params)
    assert not is_told(_item("pipeline", on + dt.timedelta(days=15)), on, params)
    assert is_told(_item("elections", on + dt.timedelta(days=183)), on, params)
    assert not is_told(_item("elections", on + dt.timedelta(days=184)), on, params)
    assert is_told(_item("dues", on + dt.timedelta(days=3)), on, params)
    assert not is_told(_item("dues", on + dt.timedelta(days=4)), on, params)
    # a category without a lead time is told when it is overdue only
    assert not is_told(_item("meetings", on), on, params)
    assert is_told(_item("meetings", on - dt.timedelta(days=1), overdue=True), on, params)


def _statements(on: dt.date) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        created = send_reminders(on=on).created
    # the notifications are inserted in batches (as many as the database takes at once); everything else is
    # a fixed number of statements
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "reminders_notification"')]
    assert inserts
    return len(ctx.captured_queries) - len(inserts), created


def test_the_task_reads_a_fixed_number_of_queries_whatever_the_number_of_branches(users, add_branches):
    add_branches(2, 0, admins=True)
    refresh()
    small, created_small = _statements(TODAY)
    Notification.objects.all().delete()
    add_branches(8, 2, admins=True)
    refresh()
    large, created_large = _statements(TODAY)
    assert created_large > created_small > 0
    assert large == small


def test_the_command_sends_for_the_date_given(users, tree, make_member):
    make_member(tree.a1, name="王一")
    refresh()
    out = StringIO()
    call_command("reminders", "send", "--date", "2026-06-15", stdout=out)
    n = Notification.objects.filter(day=TODAY).count()
    assert n > 0 and out.getvalue().strip() == f"已生成提醒{n}条，发出邮件摘要0封、短信0条。"
    with pytest.raises(Exception, match="日期格式不正确"):
        call_command("reminders", "send", "--date", "2026-13-01")
