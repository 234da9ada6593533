"""Ledger snapshots (dues.snapshots): always equal to the ledger computed from the rows, refreshed by every
write path, ignored when the rate table or rounding changed, and read by the compliance rules."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.dues import snapshots
from dangjian.dues.kernel import BaseRow, ReliefRow, month_codes
from dangjian.dues.models import DuesBase, DuesPayment, DuesRelief, LedgerSnapshot
from dangjian.dues.services import declare_base, delete_payment, record_payment, record_relief
from dangjian.members.models import Member
from dangjian.members.services import update_member
from dangjian.orgs.models import Org

D = dt.date


@pytest.fixture
def y(today) -> int:
    """This year."""
    return today.year


def computed(member) -> str:
    """The codes computed directly from the member's rows over the snapshot span."""
    first, last = snapshots.span()
    member.refresh_from_db()
    payments = [
        (p.first_month, p.last_month, p.amount)
        for p in DuesPayment.objects.filter(member=member, is_extra=False).order_by(
            "first_month", "paid_on", "id"
        )
    ]
    bases = [
        BaseRow(b.year, b.effective_month, b.category, b.monthly_base, b.fixed_amount)
        for b in DuesBase.objects.filter(member=member).order_by("effective_month")
    ]
    reliefs = [
        ReliefRow(r.kind, r.start_month, r.end_month, r.monthly_amount)
        for r in DuesRelief.objects.filter(member=member).order_by("start_month", "id")
    ]
    return month_codes(
        joined_on=member.joined_on,
        inactive_from=None,
        bases=bases,
        reliefs=reliefs,
        payments=payments,
        first=first,
        last=last,
    )


def stored(member) -> str:
    return LedgerSnapshot.objects.get(member=member).codes


@pytest.fixture
def person(tree, make_member):
    return make_member(tree.a1, name="快照党员", joined_on=D(2010, 7, 1))


def test_every_service_write_keeps_the_snapshot_equal_to_the_computed_ledger(person, y):
    p = y - 1  # last year: every date of the service tests is in the past
    assert not LedgerSnapshot.objects.filter(member=person).exists()  # a new member has no dues rows yet
    declare_base(
        actor=None,
        member=person,
        year=p,
        category="active",
        monthly_base=Decimal("4000"),
        effective_month=D(p, 1, 1),
    )
    assert stored(person) == computed(person) and "u" in stored(person)
    payment = record_payment(
        actor=None,
        member=person,
        months=f"{p}-01~{p}-03",
        amount=Decimal("120"),
        paid_on=D(p, 3, 1),
        method="cash",
    )
    assert stored(person) == computed(person)
    assert stored(person)[0:3] == "ppp"  # span starts in January of last year
    record_payment(
        actor=None, member=person, months=f"{p}-04", amount=Decimal("10"), paid_on=D(p, 4, 1), method="cash"
    )
    assert stored(person)[3] == "q" and stored(person) == computed(person)
    record_relief(
        actor=None,
        member=person,
        kind="exempt",
        start_month=D(p, 5, 1),
        end_month=D(p, 6, 1),
        approved_by=person.org.parent,
        approved_on=D(p, 4, 20),
    )
    assert stored(person)[4:6] == "ee" and stored(person) == computed(person)
    delete_payment(actor=None, payment=payment, reason="录错")
    assert stored(person)[0:3] == "uuu" and stored(person) == computed(person)
    update_member(
        actor=None,
        member=person,
        data={"joined_on": D(p, 2, 10), "category": "probationary", "confirmed_on": None},
        effective_on=D(p, 2, 10),
    )
    assert stored(person)[0] == "-" and stored(person) == computed(person)


def test_writes_outside_the_services_refresh_too(person, y):
    DuesBase.objects.create(
        member=person, year=y, category="active", monthly_base=Decimal("4000"), effective_month=D(y, 1, 1)
    )
    DuesPayment.objects.create(
        member=person, first_month=D(y, 1, 1), last_month=D(y, 1, 1), amount=Decimal("40"), paid_on=D(y, 1, 5)
    )
    assert stored(person)[12] == "p" and stored(person) == computed(person)


def test_an_unchanged_member_save_costs_no_refresh(person, y):
    declare_base(
        actor=None,
        member=person,
        year=y,
        category="active",
        monthly_base=Decimal("4000"),
        effective_month=D(y, 1, 1),
    )
    member = Member.objects.get(pk=person.pk)
    member.position = "科员"
    with CaptureQueriesContext(connection) as ctx:
        member.save()
    assert len(ctx.captured_queries) == 1  # the UPDATE only


def test_deferred_refreshes_once_at_the_end(person, make_member, tree, y):
    other = make_member(tree.a2, name="另一党员")
    with snapshots.deferred():
        for m in (person, other):
            DuesBase.objects.create(
                member=m, year=y, category="active", monthly_base=Decimal("4000"), effective_month=D(y, 1, 1)
            )
        assert not LedgerSnapshot.objects.exists()  # nothing refreshed inside the block
    assert stored(person) == computed(person) and stored(other) == computed(other)


def test_refresh_costs_the_same_queries_for_2_and_20_members(tree, make_member, y):
    def populate(n):
        for i in range(n):
            m = make_member(tree.a1, name=f"党员{i}")
            DuesBase.objects.create(
                member=m, year=y, category="active", monthly_base=Decimal("4000"), effective_month=D(y, 1, 1)
            )

    populate(2)
    with CaptureQueriesContext(connection) as small:
        assert snapshots.refresh(Member.objects.all()) == 2
    populate(18)
    with CaptureQueriesContext(connection) as large:
        assert snapshots.refresh(Member.objects.all()) == 20
    assert len(small.captured_queries) == len(large.captured_queries)


def test_evaluation_with_snapshots_equals_the_evaluation_without(tree, make_member, y):
    """The DUES-* results are the same whether the members' ledgers come from their snapshots or are
    computed on the fly from their rows."""
    people = [make_member(tree.a1, name=f"党员{i}") for i in range(4)]
    for i, m in enumerate(people):
        DuesBase.objects.create(
            member=m,
            year=y - 1,
            category="active",
            monthly_base=Decimal("4000"),
            effective_month=D(y - 1, 1, 1),
        )
        DuesBase.objects.create(
            member=m, year=y, category="retired", monthly_base=Decimal("6000"), effective_month=D(y, 1, 1)
        )
        for month in range(1, 12 - 3 * i):  # member i stops paying after a different month
            DuesPayment.objects.create(
                member=m,
                first_month=D(y - 1, month, 1),
                last_month=D(y - 1, month, 1),
                amount=Decimal("40"),
                paid_on=D(y - 1, month, 1),
            )
    as_of = D(y, 6, 30)
    rules = [r for r in load_ruleset(2).rules if r.id.startswith("DUES-")]

    def outcomes():
        ev = evaluate(Org.objects.all(), year=y, as_of=as_of, ruleset=load_ruleset(2))
        return [
            (r.rule.id, r.org.code, r.status, r.missing, r.message) for r in ev.results if r.rule in rules
        ]

    assert LedgerSnapshot.objects.count() == 4
    with_snapshots = outcomes()
    LedgerSnapshot.objects.all().delete()
    assert outcomes() == with_snapshots
    assert any(status == "fail" for _r, _o, status, _m, _t in with_snapshots)


def test_a_changed_rounding_makes_snapshots_stale(tree, make_member, settings, y):
    m = make_member(tree.a1, name="舍入党员")
    DuesBase.objects.create(
        member=m, year=y, category="active", monthly_base=Decimal("3333"), effective_month=D(y, 1, 1)
    )  # 1% → 33.33
    DuesPayment.objects.create(
        member=m, first_month=D(y, 1, 1), last_month=D(y, 1, 1), amount=Decimal("33.3"), paid_on=D(y, 1, 2)
    )
    assert stored(m)[12] == "q"
    old = snapshots.fingerprint()
    settings.DUES_ROUNDING_QUANTUM = "0.1"  # now due 33.30: January is paid
    assert snapshots.fingerprint() != old
    ev = evaluate(Org.objects.filter(pk=tree.a1.pk), year=y, as_of=D(y, 3, 31), ruleset=load_ruleset(2))
    paid = next(r for r in ev.results if r.rule.id == "DUES-PAID-MONTHLY")
    assert f"{y}-01" not in paid.missing  # computed with the new rounding, not read from the stale snapshot
    out = StringIO()
    call_command("dues", "snapshots", stdout=out)
    assert "1 名党员" in out.getvalue() and stored(m)[12] == "p"


def test_a_new_kernel_version_sets_the_stored_snapshots_aside(monkeypatch):
    """What the kernel makes of the same rows changed (a 减交 above the due no longer raises it): the snapshots kept
    under the former version are not read, as after a change of the rate table."""
    before = snapshots.fingerprint()
    assert snapshots.fingerprint() == before  # one rate table, one rounding: one fingerprint
    monkeypatch.setattr(snapshots, "KERNEL_VERSION", snapshots.KERNEL_VERSION + 1)
    monkeypatch.setattr(snapshots, "_fingerprint", (None, None, ""))
    assert snapshots.fingerprint() != before
