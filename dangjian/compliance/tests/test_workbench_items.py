"""How the engine makes the work list's items of the kept results and 待办 (compliance.workbench.kept_items): a
category's link function is told the item (the missed period, the result's missing entries, its year, what the
category prepared once for all its results) when it names those keywords, and is then asked before the check kind's
link; a function of (rule, org, status) alone is called as before, after the kind's. An item's day is the deadline
the result names — in its missing entries or, failing those, in its message (by the check kind's parameter, never
by the message's wording) — or the category's own; the missing entries of a `meeting_days` kind (a meeting short of
its quorum) are the days meetings were held, not deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept, workbench
from dangjian.compliance.models import KeptResult, KeptTodo
from dangjian.compliance.registry import Link
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core.messages import Join, Message
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 15)
FOUND = dt.date(2026, 6, 1)  # the day a check first found each result below
COMMITTEE, QUORUM = "MTG-COMMITTEE-MONTHLY", "MTG-ASSEMBLY-QUORUM"  # per-period (its kind links), and not


def keep(org, rule_id: str, missing: list[str], message=None, *, status: str = "fail", year: int = 2026):
    KeptResult.objects.create(
        version=load_ruleset().version,
        year=year,
        org=org,
        rule_id=rule_id,
        unit_key=org.unit or "",
        org_path=org.path,
        status=status,
        missing=missing,
        evidence=[],
        message=(message or Message("未满足。")).to_json(),
        since=FOUND,
        digest=f"{org.pk}-{rule_id}",
    )


def items(*orgs) -> list[workbench.WorkItem]:
    listed = Org.objects.filter(pk__in=[o.pk for o in orgs])
    return workbench.kept_items(listed, on=ON, ruleset=load_ruleset())


@pytest.fixture
def meetings(monkeypatch):
    """`meetings(link=…, due=…, prepare=…)`: the 三会一课 category registered again with these functions."""
    monkeypatch.setattr(workbench, "CATEGORIES", dict(workbench.CATEGORIES))
    monkeypatch.setattr(workbench, "_BY_AREA", dict(workbench._BY_AREA))
    meeting_days = workbench.CATEGORIES["meetings"].meeting_days  # as meetings.workbench registers them
    del workbench.CATEGORIES["meetings"], workbench._BY_AREA["meetings"]

    def register(**hooks) -> None:
        workbench.register_category(
            "meetings",
            "三会一课",
            order=10,
            area="meetings",
            per_period=("periodic_meetings",),
            meeting_days=meeting_days,
            **hooks,
        )

    return register


def test_a_link_that_names_the_item_keywords_is_told_the_missed_period_and_what_was_prepared_once(
    tree, meetings
):
    keep(tree.a1, COMMITTEE, ["2026-01", "2026-03"])
    keep(tree.a1, QUORUM, ["2026-02-10"])
    prepared, told = [], []

    def prepare(results, on):
        prepared.append((sorted((r.org.id, r.rule.id, r.status, r.year, r.missing) for r in results), on))
        return "read once"

    def link(rule, org, status, *, period, missing, year, prepared):
        told.append((org.id, rule.id, status, period, missing, year, prepared))
        return Link(f"/settle/{org.id}/{period or 'all'}", "去办理", primary=True)

    meetings(link=link, prepare=prepare)
    listed = items(tree.a1)
    a1 = tree.a1.pk
    assert prepared == [
        (
            [
                (a1, QUORUM, "fail", 2026, ("2026-02-10",)),
                (a1, COMMITTEE, "fail", 2026, ("2026-01", "2026-03")),
            ],
            ON,
        )
    ]
    assert sorted(told) == [
        (a1, QUORUM, "fail", "", ("2026-02-10",), 2026, "read once"),
        (a1, COMMITTEE, "fail", "2026-01", ("2026-01", "2026-03"), 2026, "read once"),
        (a1, COMMITTEE, "fail", "2026-03", ("2026-01", "2026-03"), 2026, "read once"),
    ]
    links = {(i.rule_id, i.period): i.link.url for i in listed if i.link is not None}
    assert links == {
        (COMMITTEE, "2026-01"): f"/settle/{a1}/2026-01",
        (COMMITTEE, "2026-03"): f"/settle/{a1}/2026-03",
        (QUORUM, ""): f"/settle/{a1}/all",
    }


def test_a_link_reading_the_item_comes_before_the_kinds_and_one_of_rule_org_status_after_it(tree, meetings):
    keep(tree.a1, COMMITTEE, ["2026-01"])
    keep(tree.a1, QUORUM, ["2026-02-10"])

    def only_january(
        rule, org, status, **item
    ):  # every keyword, and None to leave the item to the kind's link
        assert set(item) == workbench.ITEM_KEYWORDS
        return Link("/january/", "一月") if item["period"] == "2026-01" else None

    meetings(link=only_january)
    links = {i.rule_id: i.link for i in items(tree.a1)}
    assert links[COMMITTEE] == Link("/january/", "一月")
    assert links[QUORUM] is None  # meeting_quorum has no link of its own

    def plain(rule, org, status):  # called as it always was: positionally, without keywords
        return Link(f"/plain/{org.id}/{status}", "查看")

    workbench.CATEGORIES.pop("meetings"), workbench._BY_AREA.pop("meetings")
    meetings(link=plain)
    links = {i.rule_id: i.link for i in items(tree.a1)}
    assert links[COMMITTEE].label.startswith("去录入")  # the kind's own link first (periodic_meetings)
    assert links[QUORUM] == Link(f"/plain/{tree.a1.pk}/fail", "查看")
    assert workbench.CATEGORIES["meetings"].link_keywords == frozenset()


def test_last_years_missed_month_tells_its_year(tree, meetings):
    keep(tree.a1, COMMITTEE, ["2025-11", "2025-12"], year=2025)
    told = []

    def link(rule, org, status, *, period, year):
        told.append((period, year))
        return None

    meetings(link=link)
    january = dt.date(2026, 1, 5)  # last year's missed work is listed in the first months of a year
    listed = workbench.kept_items(Org.objects.filter(pk=tree.a1.pk), on=january, ruleset=load_ruleset())
    assert sorted(told) == [("2025-11", 2025), ("2025-12", 2025)]
    assert sorted(i.period for i in listed) == ["2025-11", "2025-12"]


def test_a_kept_todo_tells_its_period_and_keeps_its_day(tree, meetings):
    KeptTodo.objects.create(
        version=load_ruleset().version,
        org=tree.a1,
        rule_id=COMMITTEE,
        period="2026-06",
        due_by=dt.date(2026, 6, 30),
        message=Message("本月尚未召开。").to_json(),
    )
    told = []

    def link(rule, org, status, *, period, missing, year):
        told.append((status, period, missing, year))
        return None

    meetings(link=link, due=lambda rule, org, status: dt.date(2026, 6, 20))
    (todo,) = items(tree.a1)
    assert told == [("pending", "2026-06", (), 2026)]
    assert (todo.due, todo.overdue, todo.period) == (dt.date(2026, 6, 30), False, "2026-06")


def test_a_category_may_give_an_items_day(tree, meetings):
    keep(tree.a1, COMMITTEE, ["2026-01", "2026-03"])
    keep(tree.a1, QUORUM, ["2026-02-10"])

    def due(rule, org, status, *, period):
        return dt.date(2026, 1, 20) if period == "2026-01" else None

    meetings(due=due)
    days = {(i.rule_id, i.period): (i.due, i.held_on, i.overdue) for i in items(tree.a1)}
    assert days == {
        (COMMITTEE, "2026-01"): (dt.date(2026, 1, 20), None, True),
        (COMMITTEE, "2026-03"): (dt.date(2026, 3, 31), None, True),  # None: the period's last day
        (QUORUM, ""): (None, dt.date(2026, 2, 10), True),  # the meeting's day: not a deadline
    }


CHAIRED = "MTG-CHAIRED-BY-SECRETARY"


def test_a_meeting_found_at_fault_is_dated_by_the_day_it_was_held_not_as_a_deadline(client, users, tree):
    """A quorum (or chairing) result's missing entries are the days of the meetings at fault: the item says when
    the earliest was held (召开于), has no deadline, and is overdue from that day on — the meeting held today
    short of its quorum too — as the roll-up counts it."""
    keep(tree.a1, QUORUM, ["2026-02-10", "2026-05-12"])
    keep(tree.a2, QUORUM, [ON.isoformat()])  # held today
    keep(tree.a2, CHAIRED, ["2026-03-03"])
    found = {(i.org.id, i.rule_id): (i.due, i.held_on, i.since, i.overdue) for i in items(tree.a1, tree.a2)}
    assert found == {
        (tree.a1.pk, QUORUM): (None, dt.date(2026, 2, 10), None, True),
        (tree.a2.pk, QUORUM): (None, ON, None, True),
        (tree.a2.pk, CHAIRED): (None, dt.date(2026, 3, 3), None, True),
    }
    listed = Org.objects.filter(pk__in=[tree.a1.pk, tree.a2.pk])
    assert workbench.overdue_counts(listed, on=ON, ruleset=load_ruleset()) == {tree.a1.pk: 1, tree.a2.pk: 2}
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0), tick=False):
        client.force_login(users["branch_a1"])
        html = client.get(reverse("dashboard")).content.decode()
    shown = html.split(f'data-rule="{QUORUM}"')[1].split("</li>")[0]
    assert 'data-testid="work-held">召开于 2026-02-10</span>' in shown
    assert "截止" not in shown and "检查发现于" not in shown


def test_a_terms_deadline_is_read_by_its_check_kind_whatever_the_messages_wording(tree):
    """The term end is the deadline of the term checks' failed results as their messages name it (`end`), not of
    one sentence: reworded, it is still read; another kind's `end`, or one inside the details, is not."""
    reworded = Message(
        "任期已于%(end)s届满，请抓紧换届（%(term)s）。", end="2021-03-01", term=Message("任期")
    )
    for kind in ("term_on_time", "term_on_time_adjusted"):
        assert workbench.deadline_in(reworded.to_json(), kind) == dt.date(2021, 3, 1)
    assert workbench.deadline_in(reworded.to_json(), "post_held") is None
    nested = Message("%(details)s。", details=Join([Message("%(end)s", end="2021-03-01")]))
    assert workbench.deadline_in(nested.to_json(), "term_on_time") is None
    keep(tree.a1, "ORG-TERM-ON-TIME", [], reworded)
    (item,) = items(tree.a1)
    assert (item.due, item.since, item.overdue) == (dt.date(2021, 3, 1), None, True)


def deadline(name: str, day: str) -> Message:
    return Message(
        "%(name)s（%(start)s任职，%(deadline)s前未接受集中培训）", name=name, start="2025-01-01", deadline=day
    )


def test_a_failed_results_day_is_the_deadline_its_message_names_when_its_missing_entries_name_none(tree):
    training = Message(
        "新任书记：%(details)s。", details=Join([deadline("甲", "2026-05-02"), deadline("乙", "2026-04-01")])
    )
    keep(tree.a1, "TRAIN-SECRETARY-NEW-6M", ["甲", "乙"], training)
    term = Message("本届任期已于%(end)s届满，尚未换届（%(term)s）。", end="2021-03-01", term=Message("任期"))
    keep(tree.a1, "ORG-TERM-ON-TIME", [], term)
    keep(
        tree.a1,
        "ORG-SECRETARY-IN-POST",
        [],
        Message("%(day)s%(title)s空缺，应及时配齐。", day="2026-06-01", title="书记"),
    )
    keep(tree.a2, "TRAIN-SECRETARY-NEW-6M", ["丙"], deadline("丙", "2026-09-01"), status="pending")
    found = {(i.org.id, i.rule_id): (i.due, i.since, i.overdue) for i in items(tree.a1, tree.a2)}
    assert found[(tree.a1.pk, "TRAIN-SECRETARY-NEW-6M")] == (dt.date(2026, 4, 1), None, True)  # the earliest
    assert found[(tree.a1.pk, "ORG-TERM-ON-TIME")] == (dt.date(2021, 3, 1), None, True)
    # a vacant post has no deadline (its message's `day` is the day it was seen): the day a check first found it
    assert found[(tree.a1.pk, "ORG-SECRETARY-IN-POST")] == (None, FOUND, True)
    # pending: due by the deadline it names, not by 31 December
    assert found[(tree.a2.pk, "TRAIN-SECRETARY-NEW-6M")] == (dt.date(2026, 9, 1), None, False)
    assert workbench.deadline_in("本届任期已于2021-03-01届满") is None  # a plain text names none


@pytest.mark.parametrize("version", [4, None])  # v4: the engine's term_on_time; from v5 elections' own
def test_the_term_checks_own_messages_give_the_term_end_as_the_deadline(tree, version):
    ruleset = load_ruleset(version)
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0), tick=False):
        kept.refresh(Org.objects.filter(pk=tree.a1.pk), on=ON, ruleset=ruleset)
    listed = workbench.kept_items(Org.objects.filter(pk=tree.a1.pk), on=ON, ruleset=ruleset)
    (term,) = [i for i in listed if i.rule_id == "ORG-TERM-ON-TIME"]
    assert tree.a1.term_end < ON and (term.due, term.since, term.overdue) == (tree.a1.term_end, None, True)


def test_the_rules_own_messages_give_a_term_and_a_new_secretarys_training_their_deadline(
    client, users, tree, make_member
):
    """As the checks word them: the branch's term ended on its last day (founded 2018, 3 years), its secretary
    appointed on 1 October 2025 was to be trained by 1 April 2026."""
    secretary = make_member(tree.a1, name="新书记")
    create_post(
        actor=None,
        data={"member": secretary, "org": tree.a1, "title": "shuji", "started_on": dt.date(2025, 10, 1)},
    )
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0), tick=False):
        kept.refresh(Org.objects.all(), on=ON)
        found = {i.rule_id: i for i in items(tree.a1)}
        assert (found["ORG-TERM-ON-TIME"].due, found["ORG-TERM-ON-TIME"].since) == (tree.a1.term_end, None)
        assert found["TRAIN-SECRETARY-NEW-6M"].due == dt.date(2026, 4, 1)
        client.force_login(users["branch_a1"])
        html = client.get(reverse("dashboard")).content.decode()
    assert f"截止 {tree.a1.term_end:%Y-%m-%d}" in html and "截止 2026-04-01" in html


def test_the_items_cost_the_same_queries_whatever_the_number_of_branches(tree, add_branches, meetings):
    def prepare(results, on):
        list(Org.objects.filter(pk__in={r.org.id for r in results}))  # one query for all of them
        return None

    meetings(prepare=prepare)

    def count() -> tuple[int, int]:
        orgs = Org.objects.filter(path__startswith=tree.a.path)
        with CaptureQueriesContext(connection) as ctx:
            listed = workbench.kept_items(orgs, on=ON, ruleset=load_ruleset())
        return len(ctx.captured_queries), len(listed)

    keep(tree.a1, COMMITTEE, ["2026-01"])
    small, few = count()
    add_branches(6, 1)
    for branch in Org.objects.filter(code__startswith="AX"):
        keep(branch, COMMITTEE, ["2026-01", "2026-02"])
        keep(branch, QUORUM, ["2026-02-10"])
    large, many = count()
    assert many > few and large == small == 3, (small, large)  # the results, the 待办, the category's prepare


def test_an_election_found_at_fault_is_dated_by_the_day_it_was_held(tree):
    """ELECT-QUORUM, ELECT-MARGIN and ELECT-CONGRESS-FORM name the days of the elections at fault (elections.workbench
    registers them as `meeting_days`): 召开于 that day, never 截止 on it."""
    keep(tree.a1, "ELECT-QUORUM", ["2026-03-05"])
    keep(tree.a1, "ELECT-MARGIN", ["2026-03-05"])
    keep(tree.a2, "ELECT-CONGRESS-FORM", ["2026-04-20"])
    found = {(i.org.id, i.rule_id): (i.due, i.held_on, i.overdue) for i in items(tree.a1, tree.a2)}
    assert found == {
        (tree.a1.pk, "ELECT-QUORUM"): (None, dt.date(2026, 3, 5), True),
        (tree.a1.pk, "ELECT-MARGIN"): (None, dt.date(2026, 3, 5), True),
        (tree.a2.pk, "ELECT-CONGRESS-FORM"): (None, dt.date(2026, 4, 20), True),
    }
