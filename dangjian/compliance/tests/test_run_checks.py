"""The evaluator's pass over the organisations (`run_checks`): results in rule order and then path order, the
待办 as `todo_of` gives them, and each organisation's facts released before the next organisation is checked;
the scan of the meeting records shared by three providers dropped once the last of them has read it."""

import datetime as dt
import gc
import weakref
from types import MappingProxyType

import pytest

from dangjian.compliance import evaluator
from dangjian.compliance import facts as facts_module
from dangjian.compliance.checks import REGISTRY, Due, Outcome, Params, register
from dangjian.compliance.evaluator import run_check, run_checks, todo_of
from dangjian.compliance.facts import EXTRA_FACTS, OrgFacts, OrgRef, build_facts, register_facts
from dangjian.compliance.periods import window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.builders import make_ruleset as ruleset
from dangjian.compliance.tests.conftest import Y
from dangjian.core.messages import Join, Message
from dangjian.orgs.models import Org

D = dt.date


class NoParams(Params):
    pass


class Payload:
    """A provider's value for one organisation, which only that organisation's facts hold."""

    def __init__(self, n: int):
        self.n = n


@pytest.fixture
def probe():
    # (organisation, whether each earlier organisation's payload is alive when it is checked)
    seen: list[tuple[int, list[bool]]] = []
    payloads: list[weakref.ref] = []

    @register("test_probe", NoParams, evidence="test")
    def check(facts, window, p):
        n = facts.extra["payload"].n
        seen.append((n, [ref() is not None for ref in payloads[:n]]))
        return Outcome("fail" if n % 2 else "pass", f"probe {n}", [], [n])

    def todo(facts, window, p, on):
        return [
            Due(
                str(on.year),
                D(on.year, 12, 31 - facts.extra["payload"].n),
                f"todo {facts.extra['payload'].n}",
            )
        ]

    @register("test_counted", NoParams, todo=todo)
    def counted(facts, window, p):
        return Outcome("pending", Message("测试：%(year)s年。", year=window.year))

    yield seen, payloads
    REGISTRY.pop("test_probe")
    REGISTRY.pop("test_counted")


def org_facts(n: int, org_type: str, payloads: list) -> OrgFacts:
    payload = Payload(n)
    payloads.append(weakref.ref(payload))
    return OrgFacts(
        ref=OrgRef(n, f"X{n}", f"组织{n}", org_type, f"{n:08d}/", "测试单位"),
        founded_on=D(2018, 1, 1),
        extra=MappingProxyType({"payload": payload}),
    )


@pytest.mark.parametrize("chunk", [250, 2, 1])
def test_results_come_in_rule_then_path_order_with_the_todo_of_todo_of(probe, chunk, monkeypatch):
    monkeypatch.setattr(evaluator, "CHUNK", chunk)  # one chunk, chunks that split the list, one at a time
    seen, payloads = probe
    rules = ruleset(("test_probe", ["zhibu", "zongzhi"]), ("test_counted", ["zhibu"]))
    types = ["zhibu", "zongzhi", "zhibu", "xiaozu", "zhibu"]
    on = D(Y, 10, 31)
    expected_todo = todo_of([org_facts(n, t, []) for n, t in enumerate(types)], rules, on)
    built = [org_facts(n, t, payloads) for n, t in enumerate(types)]
    reference = [
        (rule.id, f.ref.id, run_check(rule, f, window_for(Y, on, f.founded_on, None)).status)
        for rule in rules.rules
        for f in built
        if f.ref.type in rule.applies_to
    ]
    seen.clear()
    results, todos = run_checks(built, rules, Y, on, todo_on=on)
    assert built == []  # consumed
    assert [(r.rule.id, r.org.id, r.status) for r in results] == reference
    assert [r.org.id for r in results[:4]] == [0, 1, 2, 4] and [r.org.id for r in results[4:]] == [0, 2, 4]
    assert [e.id for e in results[1].evidence] == [1]
    assert [(t.org.id, t.rule.id, t.period, t.due_by) for t in todos] == [
        (t.org.id, t.rule.id, t.period, t.due_by) for t in expected_todo
    ]
    assert [t.org.id for t in todos] == [4, 2, 0]  # by due date
    assert run_checks([org_facts(9, "zhibu", [])], rules, Y, on)[1] is None  # no 待办 asked for


def test_each_chunk_s_facts_are_released_before_the_next_is_checked(probe, monkeypatch):
    seen, payloads = probe
    monkeypatch.setattr(evaluator, "CHUNK", 2)
    rules = ruleset(("test_probe", ["zhibu"]))
    gc.disable()  # reference counting alone must free them (the evaluation pauses the collector)
    try:
        results, _ = run_checks([org_facts(n, "zhibu", payloads) for n in range(6)], rules, Y, D(Y, 10, 31))
    finally:
        gc.enable()
    assert len(results) == 6
    # organisations 0 and 1 are checked together, then 2 and 3 once those two are gone, then 4 and 5
    yes, no = True, False
    assert seen == [
        (0, []),
        (1, [yes]),
        (2, [no, no]),
        (3, [no, no, yes]),
        (4, [no, no, no, no]),
        (5, [no, no, no, no, yes]),
    ]


@pytest.fixture
def scan_probe():
    """A provider loaded after the meetings app's three (providers load in name order): what the build's shared
    reads hold when it runs."""
    held: list[list] = []

    @register_facts("zz_scan_probe", context=True)
    def load(ctx):
        memo = facts_module._BRANCH_ORGS.get()
        held.append([key for key in memo if isinstance(key, tuple) and "meeting-records" in key])
        return {}

    @register("test_scan_probe", NoParams, facts=("zz_scan_probe",))
    def check(facts, window, p):
        return Outcome("pass", "probe")

    yield held
    EXTRA_FACTS.pop("zz_scan_probe")
    REGISTRY.pop("test_scan_probe")


@pytest.mark.parametrize(
    "readers",
    [
        ("MTG-COMMITTEE-MONTHLY", "MTG-CHAIRED-BY-SECRETARY", "MEM-ORGLIFE-ABSENT-6M"),  # all three providers
        ("MTG-COMMITTEE-MONTHLY", "MTG-CHAIRED-BY-SECRETARY"),  # "meetings" and "meeting_chairs"
        ("MEM-ORGLIFE-ABSENT-6M",),  # "orglife" alone
    ],
)
def test_the_shared_scan_of_the_meeting_records_is_dropped_after_its_last_reader(tree, scan_probe, readers):
    v7 = load_ruleset(7)
    rules = [v7.rule(rule_id) for rule_id in readers]
    rules.append(
        rules[0].model_copy(update={"id": "TEST-SCAN-PROBE", "check": "test_scan_probe", "params": {}})
    )
    extra = sorted({name for rule in rules for name in REGISTRY[rule.check].facts})
    assert "zz_scan_probe" == extra[-1]
    built = build_facts(Org.objects.all(), year=Y, as_of=D(Y, 10, 31), extra=extra, rules=rules)
    assert built and scan_probe == [[]]


def test_results_share_one_unchangeable_empty_list_and_equal_plain_messages(probe):
    _seen, payloads = probe
    rules = ruleset(("test_counted", ["zhibu"]), ("test_probe", ["zhibu"]))
    results, _ = run_checks([org_facts(n, "zhibu", payloads) for n in range(3)], rules, Y, D(Y, 10, 31))
    counted, probed = results[:3], results[3:]
    assert all(r.missing == [] and r.evidence == [] for r in counted)
    assert len({id(r.missing) for r in results} | {id(r.evidence) for r in counted}) == 1  # one shared list
    with pytest.raises(TypeError):
        counted[0].missing.append("2026-01")
    assert [e.id for r in probed for e in r.evidence] == [0, 1, 2]  # the probe's evidence: lists of their own
    assert len({id(r.message) for r in counted}) == 1 and str(counted[0].message) == f"测试：{Y}年。"


def test_equal_messages_of_plain_values_are_one_object():
    from dangjian.compliance.evaluator import _MessagePool

    pool = _MessagePool().get
    first = pool(Message("已满足：%(year)s年%(n)s次。", year=2026, n=3))
    assert pool(Message("已满足：%(year)s年%(n)s次。", year=2026, n=3)) is first
    assert pool(Message("已满足：%(year)s年%(n)s次。", year=2026, n=4)) is not first
    assert (
        pool(Message("已满足：%(year)s年%(n)s次。", n=2026, year=3)) is not first
    )  # the same values, other names
    assert pool(Message.plural("已满足：%(year)s年%(n)s次。", year=2026, n=3)) is not first
    names = Message("缺少：%(names)s。", names=Join(["甲", "乙"]))
    assert pool(names) is names and pool(Message("缺少：%(names)s。", names=Join(["甲", "乙"]))) is not names
