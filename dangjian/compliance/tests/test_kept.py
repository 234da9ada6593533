"""Kept results: refreshed after writes commit and by `dangjian compliance refresh`, equal to a fresh
evaluation, with their history; the pages read them (and say when they were evaluated), in a number of
queries that does not grow with the organisations."""

import datetime as dt
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.models import KeptResult, KeptTodo, PendingRefresh, ResultChange
from dangjian.compliance.registry import EvidenceRef
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.selectors import resolve_evidence
from dangjian.compliance.tests.test_query_count import populate
from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting, delete_meeting, update_meeting
from dangjian.members.services import update_member
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post
from dangjian.talks.models import Talk


def fresh(orgs=None):
    today = dt.date.today()  # as the refresh under test reads it
    evaluation = evaluate(orgs or Org.objects.all(), year=today.year, as_of=today)
    return sorted(
        (r.org.id, r.rule.id, r.status, tuple(r.missing), tuple(r.evidence), r.message)
        for r in evaluation.results
    )


def stored(orgs=None):
    orgs = orgs or Org.objects.all()
    ruleset = load_ruleset()
    year = dt.date.today().year  # as the refresh under test reads it
    meta = kept.kept_meta(orgs, year=year, ruleset=ruleset)
    assert meta is not None
    evaluation = kept.kept_evaluation(orgs, year=year, ruleset=ruleset, meta=meta)
    return sorted(
        (r.org.id, r.rule.id, r.status, tuple(r.missing), tuple(r.evidence), r.message)
        for r in evaluation.results
    )


@pytest.fixture
def secretary(tree, make_member, today):
    """A1 with a 书记 and two more members, appointed at the start of last year."""
    people = [make_member(tree.a1, name=n) for n in ("书记甲", "委员乙", "党员丙")]
    create_post(
        actor=None,
        data={
            "member": people[0],
            "org": tree.a1,
            "title": "shuji",
            "started_on": dt.date(today.year - 1, 1, 1),
        },
    )
    return people


def test_refresh_keeps_what_a_fresh_evaluation_gives(tree, secretary):
    report = kept.refresh()
    # every organisation but the 工委 (no rule applies to it: its facts would count every member for nothing)
    assert report.orgs == Org.objects.exclude(type="gongwei").count() == Org.objects.count() - 1
    assert report.results == report.created == KeptResult.objects.count() > 0
    assert stored() == fresh()
    assert ResultChange.objects.filter(old_status="").count() == report.created  # first evaluated
    again = kept.refresh()
    assert (again.created, again.changed, again.removed) == (0, 0, 0)


def test_a_meeting_recorded_refreshes_after_commit_and_keeps_the_history(
    tree, secretary, django_capture_on_commit_callbacks, monkeypatch, today
):
    kept.refresh()
    kept._pending().clear()  # the fixtures' writes share the test's transaction: only the meeting's count
    refreshed = []
    real = kept.refresh
    monkeypatch.setattr(kept, "refresh", lambda orgs=None, **kw: refreshed.append(orgs) or real(orgs, **kw))
    rule = "MTG-ORG-LIFE-ANNUAL"
    before = KeptResult.objects.get(org=tree.a1, rule_id=rule, year=today.year)
    assert before.status in ("pending", "fail")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        meeting = create_meeting(
            actor=None, data={"org": tree.a1, "date": today, "topic": "年度组织生活会"}, types=["org_life"]
        )
    assert callbacks  # nothing is refreshed before the transaction commits
    assert len(refreshed) == 1  # one refresh for the transaction, not one per audit event
    assert {o.code for o in refreshed[0]} == {"GW", "A", "A1"}  # A1's path (its 书记 holds a post there only)
    after = KeptResult.objects.get(org=tree.a1, rule_id=rule, year=today.year)
    assert (after.status, after.evidence, after.since) == ("pass", [["meeting", meeting.pk]], today)
    history = list(
        ResultChange.objects.filter(org=tree.a1, rule_id=rule).values_list("old_status", "new_status")
    )
    assert history == [("", before.status), (before.status, "pass")]
    assert stored() == fresh()
    with django_capture_on_commit_callbacks(execute=True):
        delete_meeting(actor=None, meeting=meeting)
    assert KeptResult.objects.get(org=tree.a1, rule_id=rule, year=today.year).status == before.status
    assert stored() == fresh()


def test_the_writes_queued_behind_a_refresh_are_refreshed_together(
    tree, secretary, django_capture_on_commit_callbacks, monkeypatch, today
):
    """With the task worker busy (the tasks only queued), two writes' paths wait; the first task refreshes both
    branches' organisations in one pass and the second finds nothing left."""
    kept.refresh()
    kept._pending().clear()
    queued = []
    task = kept.refresh_pending
    monkeypatch.setattr(kept, "refresh_pending", SimpleNamespace(enqueue=lambda: queued.append(1)))
    for org in (tree.a1, tree.b1):
        with django_capture_on_commit_callbacks(execute=True):
            create_meeting(
                actor=None, data={"org": org, "date": today, "topic": "组织生活会"}, types=["org_life"]
            )
    assert len(queued) == 2
    assert sorted(PendingRefresh.objects.values_list("path", flat=True)) == sorted(
        [tree.a1.path, tree.b1.path]
    )
    refreshed = []
    real = kept.refresh
    monkeypatch.setattr(kept, "refresh", lambda orgs=None, **kw: refreshed.append(orgs) or real(orgs, **kw))
    assert task.func() > 0
    assert len(refreshed) == 1 and {"A1", "B1"} <= {o.code for o in refreshed[0]}
    assert not PendingRefresh.objects.exists()
    assert stored() == fresh()
    assert task.func() == 0 and len(refreshed) == 1


def test_a_failed_refresh_leaves_its_paths_waiting(tree, secretary, monkeypatch):
    PendingRefresh.objects.create(path=tree.a1.path)

    def broken(orgs=None, **kw):
        raise RuntimeError("database gone")

    monkeypatch.setattr(kept, "refresh", broken)
    with pytest.raises(RuntimeError):
        kept.refresh_pending.func()
    assert list(PendingRefresh.objects.values_list("path", flat=True)) == [tree.a1.path]


def test_a_lecture_refreshes_the_organisation_where_its_lecturer_holds_a_post(
    tree, secretary, make_member, django_capture_on_commit_callbacks, today
):
    """The 甲委党组's 书记 is a member of 甲二支部 and lectures in 甲一支部: neither branch is on the 党组's path,
    yet its LECTURE-SECRETARY-ANNUAL is kept right, and again when the lecturer is changed."""
    leader = make_member(tree.a2, name="党组书记")
    other = make_member(tree.a1, name="普通党员")
    create_post(
        actor=None,
        data={
            "member": leader,
            "org": tree.a_dz,
            "title": "shuji",
            "started_on": dt.date(today.year - 1, 1, 1),
        },
    )
    kept.refresh()
    rule = "LECTURE-SECRETARY-ANNUAL"
    before = KeptResult.objects.get(org=tree.a_dz, rule_id=rule, year=today.year).status
    assert before != "pass"
    with django_capture_on_commit_callbacks(execute=True):
        meeting = create_meeting(
            actor=None,
            data={"org": tree.a1, "date": today, "topic": "党组书记讲党课", "lecturer": leader},
            types=["lecture"],
        )
    assert KeptResult.objects.get(org=tree.a_dz, rule_id=rule, year=today.year).status == "pass"
    assert stored() == fresh()
    with django_capture_on_commit_callbacks(execute=True):
        update_meeting(actor=None, meeting=meeting, data={"lecturer": other})
    assert KeptResult.objects.get(org=tree.a_dz, rule_id=rule, year=today.year).status == before
    assert stored() == fresh()


def test_a_refused_write_refreshes_nothing(tree, secretary, users, django_capture_on_commit_callbacks, today):
    from dangjian.core.errors import OutOfScope

    kept.refresh()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(OutOfScope):
        create_meeting(
            actor=users["branch_a2"],
            data={"org": tree.a1, "date": today, "topic": "越权"},
            types=["org_life"],
        )
    assert callbacks == []
    assert not Meeting.objects.exists()


def test_a_member_moved_to_another_unit_refreshes_both(
    tree, secretary, django_capture_on_commit_callbacks, today
):
    kept.refresh()
    with django_capture_on_commit_callbacks(execute=True):
        update_member(actor=None, member=secretary[2], data={"org": tree.b1}, effective_on=today)
    assert stored() == fresh()


def test_the_refresh_command_reports_and_keeps_the_todo(tree, secretary, today):
    out = StringIO()
    call_command("compliance", "refresh", stdout=out)
    n = KeptResult.objects.count()
    assert f"个组织 {today.year} 年的 {n} 条检查结果" in out.getvalue()
    assert KeptTodo.objects.filter(org=tree.a1).exists()


def test_the_refresh_command_refuses_a_future_year(tree, today):
    with pytest.raises(Exception, match="不能晚于今年"):
        call_command("compliance", "refresh", "--year", str(today.year + 1))


def test_overview_reads_kept_results_and_says_when(client, users, tree, secretary, today):
    client.force_login(users["gongwei"])
    live = client.get(reverse("compliance:overview"))
    assert live.context["kept"] is None and "现场评估" in live.content.decode()
    kept.refresh()
    response = client.get(reverse("compliance:overview"))
    assert response.context["kept"] is not None
    assert "结果更新于" in response.content.decode()
    assert response.context["board"].overall.evaluated == live.context["board"].overall.evaluated
    asked = client.get(reverse("compliance:overview"), {"as_of": today.isoformat()})
    assert asked.context["kept"] is None  # an explicit date evaluates live


def test_org_page_reads_kept_results(client, users, tree, secretary):
    kept.refresh()
    client.force_login(users["branch_a1"])
    response = client.get(reverse("compliance:org", args=[tree.a1.pk]))
    assert response.context["kept"] is not None
    shown = sorted((i.rule.id, i.status) for i in response.context["items"])
    assert shown == sorted((r[1], r[2]) for r in fresh(Org.objects.filter(pk=tree.a1.pk)))


def test_org_page_shows_since_when_and_the_changes_of_status(
    client, users, tree, secretary, django_capture_on_commit_callbacks, today
):
    rule = "MTG-ORG-LIFE-ANNUAL"
    earlier = today - dt.timedelta(days=3) if today.day > 3 else today
    kept.refresh(on=earlier)
    before = KeptResult.objects.get(org=tree.a1, rule_id=rule, year=today.year).status
    with django_capture_on_commit_callbacks(execute=True):
        create_meeting(
            actor=None, data={"org": tree.a1, "date": today, "topic": "年度组织生活会"}, types=["org_life"]
        )
    client.force_login(users["branch_a1"])
    response = client.get(reverse("compliance:org", args=[tree.a1.pk]), {"show": "all"})  # it now passes
    item = next(i for i in response.context["items"] if i.rule.id == rule)
    assert item.history is not None
    assert item.history.since == today
    assert [(c.old_status, c.new_status, c.as_of) for c in item.history.changes] == [
        ("", before, earlier),
        (before, "pass", today),
    ]
    body = response.content.decode()
    assert f"该结果自 {today:%Y-%m-%d} 起保持" in body
    assert "共变化 2 次" in body and "首次评估：" in body
    # evaluated live (an explicit date), there is no kept history to show
    live = client.get(reverse("compliance:org", args=[tree.a1.pk]), {"as_of": today.isoformat()})
    assert all(i.history is None for i in live.context["items"])
    assert 'data-testid="history"' not in live.content.decode()


def test_kept_overview_queries_do_not_grow_with_the_organisations(client, users, tree):
    client.force_login(users["gongwei"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("compliance:overview")).status_code == 200
        return len(ctx.captured_queries)

    populate(tree.gw, 50)  # more than the organisations shown row by row: the roll-up is counted in SQL
    kept.refresh()
    few = count()
    populate(tree.gw, 120)
    kept.refresh()
    assert count() == few


def test_talk_evidence_is_not_looked_up_as_a_meeting(client, users, tree, make_member, today):
    """A talk whose id equals another 党委's meeting id: the branch sees its talk, never that meeting."""
    other = make_member(tree.b1, name="乙一党员")
    foreign = create_meeting(
        actor=None, data={"org": tree.b1, "date": today, "topic": "乙一绝密议题"}, types=["committee"]
    )
    people = [make_member(tree.a1, name=n) for n in ("谈话甲", "谈话乙")]
    assert not Talk.objects.filter(pk=foreign.pk).exists()
    talk = Talk.objects.create(pk=foreign.pk, org=tree.a1, date=today)
    talk.participants.set(people)
    assert other.org_id == tree.b1.pk
    kept.refresh()
    client.force_login(users["branch_a1"])
    html = client.get(reverse("compliance:org", args=[tree.a1.pk]), {"show": "all"}).content.decode()
    assert "谈心谈话：" in html and "谈话甲" in html and "谈话乙" in html
    assert "乙一绝密议题" not in html and "乙一支部" not in html


def test_evidence_outside_the_viewers_scope_shows_only_its_date(client, users, tree, make_member, today):
    """A 党组 secretary's lecture in a branch the viewer cannot see: its date, no topic, no organisation."""
    secretary = make_member(tree.a2, name="党组书记")
    create_post(
        actor=None,
        data={"member": secretary, "org": tree.a_dz, "title": "shuji", "started_on": dt.date(2020, 1, 1)},
    )
    create_meeting(
        actor=None,
        data={"org": tree.a2, "date": today, "topic": "甲二专题党课", "lecturer": secretary},
        types=["lecture"],
    )
    meeting = Meeting.objects.get(topic="甲二专题党课")
    found = resolve_evidence(users["branch_a1"], [EvidenceRef("meeting", meeting.pk)])
    item = found[("meeting", meeting.pk)]
    assert (item.visible, item.text, item.org_name, item.url) == (False, "", "", "")
    seen = resolve_evidence(users["dangwei_a"], [EvidenceRef("meeting", meeting.pk)])[("meeting", meeting.pk)]
    assert (seen.visible, seen.text) == (True, "甲二专题党课")


def test_payment_refreshes_the_branch(tree, secretary, django_capture_on_commit_callbacks, today):
    from dangjian.dues.services import declare_base, record_payment

    kept.refresh()
    with django_capture_on_commit_callbacks(execute=True):
        declare_base(
            actor=None,
            member=secretary[0],
            year=today.year,
            category="active",
            monthly_base=Decimal("5000.00"),
            effective_month=dt.date(today.year, 1, 1),
        )
        record_payment(
            actor=None,
            member=secretary[0],
            months=f"{today.year}-01",
            amount=Decimal("50.00"),
            paid_on=dt.date(today.year, 1, 10) if today.month > 1 else today,
            method="cash",
        )
    assert stored() == fresh()


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_a_write_queues_the_refresh_for_the_worker(
    settings, tree, secretary, django_capture_on_commit_callbacks, today
):
    """Production: the write only queues the refresh; `dangjian worker` runs it."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_BACKEND = "database"
    kept.refresh()
    rule = "MTG-ORG-LIFE-ANNUAL"
    before = KeptResult.objects.get(org=tree.a1, rule_id=rule).status
    create_meeting(
        actor=None, data={"org": tree.a1, "date": today, "topic": "组织生活会"}, types=["org_life"]
    )
    assert KeptResult.objects.get(org=tree.a1, rule_id=rule).status == before  # not yet
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["READY"]
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    assert KeptResult.objects.get(org=tree.a1, rule_id=rule).status == "pass"
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"]


def test_the_worker_refuses_to_run_with_the_immediate_backend(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="DANGJIAN_TASKS=database"):
        call_command("worker", "--batch")


def test_the_digest_depends_on_the_values_only_not_on_shared_objects():
    name = "第一党支部"
    shared = (
        "单位",
        "00000001/",
        "fail",
        ["2026-01", "2026-01"],
        [["meeting", 1]],
        {"m": name, "p": {"a": name}},
    )
    built = (
        "".join(["单", "位"]),
        "00000001/",
        "fail",
        ["2026-" + "01", "2026-0" + "1"],
        [["meet" + "ing", 1]],
        {"m": "第一" + "党支部", "p": {"a": "第一党" + "支部"}},
    )
    assert kept._digest(shared) == kept._digest(built)
    assert kept._digest(shared) != kept._digest((*shared[:2], "pass", *shared[3:]))
    assert kept._digest(shared) != kept._digest((*shared[:5], {"m": name, "p": {"a": 1}}))


def test_a_full_refresh_is_split_into_parts_of_whole_subtrees_balanced_by_size(tree):
    ruleset = load_ruleset()
    # below the 工委: 甲委机关党委 (4 organisations), 乙委机关党委 (3), 甲委党组 (1)
    a, b, a_dz = tree.a.path, tree.b.path, tree.a_dz.path
    assert kept._parts(ruleset, 2) == [[a], sorted([a_dz, b])]
    assert sorted(kept._parts(ruleset, 5)) == sorted([[a], [b], [a_dz]])
    assert kept._parts(ruleset, 1) == [sorted([a, b, a_dz])]
    # every organisation a rule applies to is in exactly one part
    found = [o.pk for keys in kept._parts(ruleset, 2) for o in kept._part_orgs(keys)]
    assert sorted(found) == sorted(Org.objects.exclude(type="gongwei").values_list("pk", flat=True))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_full_refresh_in_parts_keeps_what_one_process_keeps(tree, secretary, monkeypatch, today):
    """On PostgreSQL a full refresh runs in forked processes, one part of the 单位 each; what it keeps is what a
    refresh in one process keeps, and what is kept for an organisation no longer evaluated goes."""
    from django.utils import timezone

    from dangjian.compliance.models import KeptStamp, KeptTally
    from dangjian.members import figures
    from dangjian.members.models import OrgFigures

    ruleset = load_ruleset()
    for model in (KeptResult, KeptStamp, KeptTally, KeptTodo, OrgFigures):  # kept after the fixtures' writes
        model.objects.all().delete()
    # something kept for the 工委 (no rule applies to it): a full refresh removes it
    KeptStamp.objects.create(
        version=ruleset.version,
        year=today.year,
        org=tree.gw,
        unit_key="@",
        org_path=tree.gw.path,
        as_of=today,
        evaluated_at=timezone.now(),
    )
    KeptTally.objects.create(
        version=ruleset.version,
        year=today.year,
        unit_key="@",
        rule_id=ruleset.rules[0].id,
        status="fail",
        n=1,
    )
    KeptResult.objects.create(
        version=ruleset.version,
        year=today.year,
        org=tree.gw,
        rule_id=ruleset.rules[0].id,
        unit_key="@",
        org_path=tree.gw.path,
        status="fail",
        message="",
        since=today,
        digest="x",
    )
    parts = []
    in_parts = kept._refresh_in_parts

    def spy(**kwargs):
        parts.append(kwargs["jobs"])
        return in_parts(**kwargs)

    monkeypatch.setattr(kept, "_refresh_in_parts", spy)
    report = kept.refresh(jobs=2)
    assert parts == [2]  # not the one-process refresh
    assert report.orgs == Org.objects.exclude(type="gongwei").count()
    assert report.results == KeptResult.objects.count() == report.created > 0
    assert report.removed == 1 and not KeptResult.objects.filter(org=tree.gw).exists()
    assert not KeptStamp.objects.filter(org=tree.gw).exists()
    assert not KeptTally.objects.filter(unit_key="@").exists()
    assert stored() == fresh()
    assert KeptTodo.objects.exists()
    # the member figures of the pages, kept by the parts: what a full recount gives
    rows = set(OrgFigures.objects.values_list("org_id", *figures.FIGURES))
    assert rows
    figures.refresh()
    assert set(OrgFigures.objects.values_list("org_id", *figures.FIGURES)) == rows
    again = kept.refresh(jobs=1)  # one process finds nothing to change
    assert (again.created, again.changed, again.removed) == (0, 0, 0)
    assert kept.refresh(jobs=2).changed == 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_full_refresh_in_parts_does_not_inherit_what_another_thread_holds(tree, secretary):
    """A web process's request thread may hold a lock (here: the one of the active language, taken by every
    translated text) at the moment a full refresh starts its workers. A worker forked from the calling process
    would be born with that lock taken and nobody to release it, and would wait for ever; the workers come from
    a fork server instead, and the refresh ends."""
    import threading

    from django.utils.translation import trans_real

    held, done = threading.Event(), threading.Event()

    def request_thread():
        with trans_real._active._lock:
            held.set()
            done.wait(60)

    thread = threading.Thread(target=request_thread, daemon=True)
    thread.start()
    held.wait(10)
    try:
        report = kept.refresh(jobs=2)
        assert not done.is_set()  # the lock was held all along
    finally:
        done.set()
        thread.join()
    assert report.orgs == Org.objects.exclude(type="gongwei").count()
    assert stored() == fresh()


def test_a_refresh_worker_loads_its_part_facts_in_its_own_thread(settings):
    """The parts of a full refresh keep every core busy: a worker process adds no helper threads (FACT_THREADS)."""
    settings.FACT_THREADS = 2
    name = connection.settings_dict["NAME"]
    kept._start_worker(name)
    assert settings.FACT_THREADS == 1
    assert connection.settings_dict["NAME"] == name
