"""The evaluator runs the same number of queries for 10 and for 200 organisations."""

import datetime as dt
import itertools
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from dangjian.compliance import facts as facts_module
from dangjian.compliance.evaluator import evaluate, todo
from dangjian.compliance.facts import build_facts
from dangjian.compliance.rulebook import load_ruleset
from dangjian.conftest import unique_id_number
from dangjian.core import idcard
from dangjian.core.pii import lookup_hash
from dangjian.dues.models import ArrearsReview, CollectionDay, DuesBase, DuesPayment, DuesRelief
from dangjian.meetings.models import Meeting, MeetingKind
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_org

Y = 2025
_codes = itertools.count(1)


def org(parent, type_, **extra):
    n = next(_codes)
    return create_org(
        actor=None,
        data={
            "code": f"Q{n}",
            "name": f"组织{n}",
            "type": type_,
            "parent": parent,
            "founded_on": dt.date(2018, 1, 1),
            **extra,
        },
    )


def member(org_, n, **extra):
    number = unique_id_number()
    card = idcard.parse(number)
    return Member(
        name=f"党员{n}",
        id_number=number,
        id_number_hash=lookup_hash(number),
        sex=card.sex,
        birth_date=card.birth_date,
        category=extra.pop("category", "formal"),
        joined_on=dt.date(2010, 1, 1),
        confirmed_on=extra.pop("confirmed_on", dt.date(2011, 1, 1)),
        org=org_,
        **extra,
    )


def populate(gw, size: int):
    """A 党组 and a 党委 whose subtree has size - 2 organisations: branches, each with a 党小组 while
    there is room; members, a 书记, three meetings (one with two types) and a move after D."""
    party_group = org(gw, "dangzu")
    committee = org(gw, "dangwei")
    branches, groups = [], []
    while len(branches) + len(groups) < size - 2:
        branches.append(org(committee, "zhibu"))
        if len(branches) + len(groups) < size - 2:
            groups.append(org(branches[-1], "xiaozu"))
    members = Member.objects.bulk_create(
        [member(b, i) for b in branches for i in range(3)]
        + [member(g, 0, category="probationary", confirmed_on=None) for g in groups]
    )
    first = members[0]
    Post.objects.bulk_create(
        [
            Post(member=members[3 * i], org=b, title="shuji", started_on=dt.date(2024, 1, 1))
            for i, b in enumerate(branches)
        ]
        + [Post(member=first, org=party_group, title="shuji", started_on=dt.date(2024, 1, 1))]
    )
    MemberHistory.objects.create(
        member=members[1],
        field=HistoryField.ORG,
        old_value="x",
        new_value="y",
        old_org=branches[-1],
        new_org=branches[0],
        effective_on=dt.date(Y, 11, 1),
    )
    for b in [*branches, *groups]:
        for month in (3, 6, 9):
            meeting = Meeting.objects.create(org=b, date=dt.date(Y, month, 5), topic="会议", lecturer=first)
            kinds = ["assembly", "lecture"] if b.type == "zhibu" else ["group", "lecture"]
            MeetingKind.objects.bulk_create(
                MeetingKind(
                    meeting=meeting,
                    type=t,
                    org=b,
                    date=meeting.date,
                    expected=4,
                    present=3,
                    expected_formal=3,
                    present_formal=2,
                )
                for t in kinds
            )
    add_dues(branches, members)
    return Org.objects.filter(Q(path__startswith=committee.path) | Q(pk=party_group.pk))


def add_dues(branches, members):
    """党费 for every member: a base for the year (a second from July for one in three), payments for
    January–March (a range) and for some later months (one partial, one an extra payment), a relief for one
    member, a collection day for every other branch and a review for one member in arrears."""
    DuesBase.objects.bulk_create(
        [
            DuesBase(
                member=m,
                year=Y,
                category="active",
                monthly_base=Decimal("4000.00"),
                effective_month=dt.date(Y, 1, 1),
            )
            for m in members
        ]
        + [
            DuesBase(
                member=m,
                year=Y,
                category="active",
                monthly_base=Decimal("6000.00"),
                effective_month=dt.date(Y, 7, 1),
            )
            for m in members[::3]
        ]
    )
    payments = []
    for i, m in enumerate(members):
        payments.append(
            DuesPayment(
                member=m,
                first_month=dt.date(Y, 1, 1),
                last_month=dt.date(Y, 3, 1),
                amount=Decimal("120.00"),
                paid_on=dt.date(Y, 3, 20),
                method="transfer",
            )
        )
        for month in range(4, 4 + i % 6):
            payments.append(
                DuesPayment(
                    member=m,
                    first_month=dt.date(Y, month, 1),
                    last_month=dt.date(Y, month, 1),
                    amount=Decimal("40.00") if month != 5 else Decimal("10.00"),
                    paid_on=dt.date(Y, month, 15),
                    method="cash",
                )
            )
        payments.append(
            DuesPayment(
                member=m,
                first_month=dt.date(Y, 6, 1),
                last_month=dt.date(Y, 6, 1),
                amount=Decimal("1000.00"),
                paid_on=dt.date(Y, 6, 15),
                method="cash",
                is_extra=True,
            )
        )
    DuesPayment.objects.bulk_create(payments)
    DuesRelief.objects.create(
        member=members[0],
        kind="exempt",
        start_month=dt.date(Y, 4, 1),
        end_month=dt.date(Y, 6, 1),
        approved_by=branches[0].parent,
        approved_on=dt.date(Y, 3, 1),
    )
    CollectionDay.objects.bulk_create(CollectionDay(org=b, day=15) for b in branches[::2])
    ArrearsReview.objects.create(
        member=members[1],
        reviewed_on=dt.date(Y, 10, 20),
        through_month=dt.date(Y, 9, 1),
        decision="justified",
        reason="长期出差",
    )


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def test_evaluate_runs_the_same_queries_for_10_and_200_organisations(tree):
    small, large = populate(tree.gw, 10), populate(tree.gw, 200)
    assert (small.count(), large.count()) == (10, 200)
    v2 = load_ruleset(2)  # later versions add rules whose providers' queries their own tests count
    n_small, _ = count_queries(lambda: evaluate(small, year=Y, as_of=dt.date(Y, 10, 31), ruleset=v2))
    n_large, ev_large = count_queries(lambda: evaluate(large, year=Y, as_of=dt.date(Y, 10, 31), ruleset=v2))
    # 7 for the organisations and meetings (a small scope lists where its counted members sit first), 8 for 党费
    # (a small scope's branches and 党小组 are listed first)
    assert n_small == n_large == 15
    n_latest_small, _ = count_queries(lambda: evaluate(small, year=Y, as_of=dt.date(Y, 10, 31)))
    n_latest_large, _ = count_queries(lambda: evaluate(large, year=Y, as_of=dt.date(Y, 10, 31)))
    assert n_latest_small == n_latest_large  # the latest rulebook: still independent of the scope's size
    assert len({r.org.code for r in ev_large.results}) == 200
    assert any(r.evidence for r in ev_large.results if r.rule.id == "LECTURE-SECRETARY-ANNUAL")
    dues = {
        rule: {r.status for r in ev_large.for_rule(rule)}
        for rule in ("DUES-BASE-DECLARED", "DUES-PAID-MONTHLY", "DUES-ARREARS-CASE")
    }
    assert dues == {
        "DUES-BASE-DECLARED": {"pass"},
        "DUES-PAID-MONTHLY": {"fail"},
        "DUES-ARREARS-CASE": {"pass", "fail"},  # one reviewed case in the first branch
    }


def test_version_1_evaluates_with_the_same_queries(tree):
    small, large = populate(tree.gw, 10), populate(tree.gw, 200)
    v1 = load_ruleset(1)
    n_small, _ = count_queries(lambda: evaluate(small, year=Y, as_of=dt.date(Y, 10, 31), ruleset=v1))
    n_large, ev_large = count_queries(lambda: evaluate(large, year=Y, as_of=dt.date(Y, 10, 31), ruleset=v1))
    assert n_small == n_large == 7  # v1 has no 党费 rule: the dues facts are not fetched
    assert len({r.rule.id for r in ev_large.results}) == 17


def test_the_engines_own_facts_cost_four_queries(tree, monkeypatch):
    """Organisations, posts, member counts and the moves after D; nothing of any domain is fetched. A small
    scope lists first the organisations where its counted members sit (then the roll is read through its
    organisation index): one more."""
    small, large = populate(tree.gw, 10), populate(tree.gw, 200)
    on = dt.date(Y, 10, 31)
    n_small, _ = count_queries(lambda: build_facts(small, year=Y, as_of=on))
    n_large, facts = count_queries(lambda: build_facts(large, year=Y, as_of=on))
    assert n_small == n_large == 5
    assert all(dict(f.extra) == {} for f in facts)
    monkeypatch.setattr(facts_module, "SMALL_SCOPE", 5)  # both are large scopes now: subqueries, no list
    n_small, small_facts = count_queries(lambda: build_facts(small, year=Y, as_of=on))
    n_large, large_facts = count_queries(lambda: build_facts(large, year=Y, as_of=on))
    assert n_small == n_large == 4
    assert [(f.ref.code, f.members) for f in large_facts] == [(f.ref.code, f.members) for f in facts]
    assert len(small_facts) == small.count()


def test_todo_runs_the_same_queries_for_10_and_200_organisations(tree):
    small, large = populate(tree.gw, 10), populate(tree.gw, 200)
    n_small, _ = count_queries(lambda: todo(small, on=dt.date(Y, 10, 31)))
    n_large, items = count_queries(lambda: todo(large, on=dt.date(Y, 10, 31)))
    # the dues checks have no 待办, so their facts are not fetched; the meetings provider reads the 工委 and the
    # 党组 of the 党委' 单位 (v5's LECTURE-SECRETARY-ANNUAL checks a 党委 only when it leads its department);
    # MEM-LEADER-DUAL-LIFE's 待办 reads the organizational-life facts (six queries, with the branch list: the
    # records and absentees in the scan shared with the meetings provider); a small scope lists where its
    # counted members sit; v6's EVAL-REVIEW-ANNUAL reads the branches' evaluations (one query)
    assert n_small == n_large == 15
    assert items


def test_a_large_scope_reads_through_subqueries_with_the_same_results(tree, monkeypatch):
    """Above SMALL_SCOPE organisations (and SMALL_MEMBERS members) the providers filter with subqueries
    instead of id lists: one query fewer, whatever the size, and the same results."""
    from dangjian.compliance import facts as engine_facts
    from dangjian.dues import facts as dues_facts

    small, large = populate(tree.gw, 10), populate(tree.gw, 200)
    as_of = dt.date(Y, 10, 31)
    lists = evaluate(large, year=Y, as_of=as_of)
    monkeypatch.setattr(engine_facts, "SMALL_SCOPE", 0)
    monkeypatch.setattr(dues_facts, "SMALL_MEMBERS", 0)
    v2 = load_ruleset(2)
    n_small, _ = count_queries(lambda: evaluate(small, year=Y, as_of=as_of, ruleset=v2))
    n_large, _ = count_queries(lambda: evaluate(large, year=Y, as_of=as_of, ruleset=v2))
    assert n_small == n_large == 13
    subqueries = evaluate(large, year=Y, as_of=as_of)

    def key(evaluation):
        return sorted(
            (r.org.id, r.rule.id, r.status, tuple(r.missing), r.message) for r in evaluation.results
        )

    assert key(subqueries) == key(lists)


def test_the_roll_of_the_branches_is_read_once_per_evaluation(tree):
    """党费, organizational life and training read the same members on the roll: one query between them."""
    orgs = populate(tree.gw, 10)
    with CaptureQueriesContext(connection) as ctx:
        evaluation = evaluate(orgs, year=Y, as_of=dt.date(Y, 10, 31))
    roll = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "members_member"."id" AS "id", "members_member"."name" AS "name"')
        and q["sql"].endswith(
            'ORDER BY "members_member"."name_pinyin" ASC, 2 ASC, 1 ASC'
        )  # by pinyin, name, id
    ]
    assert len(roll) == 1
    readers = {"DUES-PAID-MONTHLY", "MEM-ORGLIFE-ABSENT-6M", "TRAIN-MEMBER-HOURS"}
    assert readers <= {r.rule.id for r in evaluation.results}
