"""The facts of a large scope loaded by two threads (compliance.facts._load_all): the same facts as one thread,
the helper on its own connection and only where that is safe, failures raised, shared reads computed once."""

import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from dangjian.compliance import facts as facts_module
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.facts import EXTRA_FACTS, Provider
from dangjian.orgs.models import Org


@pytest.fixture
def no_connection(monkeypatch):
    """The helpers of `_load_all` without a database: jobs that read none."""
    monkeypatch.setattr(facts_module, "_connect", lambda: None)


def test_every_job_runs_once_and_a_helper_takes_some(no_connection):
    ran: dict[str, list[str]] = {}
    both_in_a_job = threading.Barrier(2)
    waited: set[str] = set()

    def job(name):
        def run():
            here = threading.current_thread().name
            ran.setdefault(name, []).append(here)
            if here not in waited:  # each thread's first job holds until the other thread has one too
                waited.add(here)
                both_in_a_job.wait(5)
            return name.upper()

        return run

    jobs = [(name, job(name)) for name in ("a", "b", "c", "d", "e")]
    done = facts_module._load_all(jobs, threads=2)
    assert done == {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}
    assert all(len(threads) == 1 for threads in ran.values())
    assert {threads[0] for threads in ran.values()} == {threading.current_thread().name, "facts-1"}


def test_one_thread_runs_the_jobs_in_order_here(no_connection):
    order: list[tuple[str, str]] = []
    jobs = [(n, lambda n=n: order.append((n, threading.current_thread().name))) for n in "xyz"]
    facts_module._load_all(jobs, threads=1)
    assert order == [(n, threading.current_thread().name) for n in "xyz"]


def test_a_failed_job_is_raised_after_the_running_one_and_nothing_starts_after_it(no_connection):
    started: list[str] = []
    slow_running = threading.Event()
    finished: list[str] = []

    def slow():
        started.append("slow")
        slow_running.set()
        time.sleep(0.3)
        finished.append("slow")

    def broken():
        started.append("broken")
        slow_running.wait(5)  # fails while the other thread is in the middle of its job
        raise LookupError("no such fact")

    def later():
        started.append("later")

    with pytest.raises(LookupError, match="no such fact"):
        facts_module._load_all([("broken", broken), ("slow", slow), ("later", later)], threads=2)
    assert finished == ["slow"]  # waited for, not abandoned
    assert "later" not in started


def test_a_helper_without_a_connection_leaves_every_job_to_this_thread(monkeypatch):
    def refused():
        raise OSError("pool exhausted")

    monkeypatch.setattr(facts_module, "_connect", refused)
    threads: list[str] = []
    jobs = [(n, lambda: threads.append(threading.current_thread().name)) for n in "abcd"]
    assert set(facts_module._load_all(jobs, threads=2)) == set("abcd")
    assert threads == [threading.current_thread().name] * 4


class _Pool:
    def __init__(self, available, size, max_size):
        self.stats = {"pool_available": available, "pool_size": size}
        self.max_size = max_size

    def get_stats(self):
        return self.stats


@pytest.mark.parametrize(
    "pool, spare",
    [
        (None, True),  # no pool: a helper connects anew
        (_Pool(available=1, size=2, max_size=2), True),  # an idle connection in the pool
        (_Pool(available=0, size=1, max_size=2), True),  # room for one more
        (_Pool(available=0, size=2, max_size=2), False),  # both lent (a web process's threads): no helper
    ],
)
def test_a_helper_only_with_a_spare_connection(pool, spare):
    assert facts_module._spare_connection(pool) is spare


def test_a_shared_read_is_computed_once_for_threads_asking_together():
    calls: list[int] = []
    both_asking = threading.Barrier(2)
    got: list[object] = []

    def compute():
        calls.append(1)
        time.sleep(0.2)  # the other thread asks meanwhile
        return object()

    token = facts_module._BRANCH_ORGS.set({})
    try:

        def ask():
            both_asking.wait(5)
            got.append(facts_module.shared("key", compute))

        import contextvars

        other = threading.Thread(target=contextvars.copy_context().run, args=(ask,))
        other.start()
        ask()
        other.join(5)
    finally:
        facts_module._BRANCH_ORGS.reset(token)
    assert len(calls) == 1
    assert len(got) == 2 and got[0] is got[1]


def test_the_last_readers_releasing_together_drop_a_shared_read_once():
    """Two providers on two threads finishing at the same moment, the last readers of the scan: it is dropped, and
    neither fails on the other's drop."""
    added = {"meetings": threading.Event(), "orglife": threading.Event()}

    class Together(set):  # each adds itself, then gives the other up to half a second to add itself too
        def add(self, item):
            super().add(item)
            added[item].set()
            added["orglife" if item == "meetings" else "meetings"].wait(0.5)

    memo = {"scan": object(), ("released", "scan"): Together({"meeting_chairs"})}
    token = facts_module._BRANCH_ORGS.set(memo)
    errors: list[BaseException] = []
    try:
        import contextvars

        def finish(me):
            try:
                facts_module.release("scan", me, ["meetings", "meeting_chairs", "orglife"])
            except BaseException as exc:
                errors.append(exc)

        other = threading.Thread(target=contextvars.copy_context().run, args=(finish, "orglife"))
        other.start()
        finish("meetings")
        other.join(5)
    finally:
        facts_module._BRANCH_ORGS.reset(token)
    assert errors == []
    assert "scan" not in memo and ("released", "scan") not in memo


@pytest.mark.django_db
def test_one_thread_inside_a_transaction(tree):
    scope = facts_module._scope(Org.objects.all())
    scope.ids_sq = Org.objects.values("pk")  # as a large scope's
    with transaction.atomic():  # another connection would not see this transaction's rows
        assert facts_module._parallel(scope) is False


@pytest.mark.django_db
def test_one_thread_for_a_small_scope(tree):
    scope = facts_module._scope(Org.objects.all())
    assert isinstance(scope.ids_sq, list)
    assert facts_module._parallel(scope) is False


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_threads_evaluate_a_large_scope_as_one_does(monkeypatch, settings, today):
    call_command("seed", "--scale", "small", "--seed", "1", stdout=StringIO())
    monkeypatch.setattr(facts_module, "SMALL_SCOPE", 0)  # every scope read through a subquery, as a city's
    threads: dict[str, str] = {}
    both_in_a_job = threading.Barrier(2)
    waited: set[str] = set()

    for name, provider in list(EXTRA_FACTS.items()):

        def spied(*args, _loader=provider.loader, _name=name):
            here = threading.current_thread().name
            threads[_name] = here
            # each thread's first job waits until both threads have one
            if both_in_a_job.parties == 2 and here not in waited:
                waited.add(here)
                both_in_a_job.wait(5)
            return _loader(*args)

        monkeypatch.setitem(EXTRA_FACTS, name, Provider(spied, provider.context))
    closed: list[str] = []
    close_all = facts_module.connections.close_all

    def closing():
        closed.append(threading.current_thread().name)
        close_all()

    monkeypatch.setattr(facts_module.connections, "close_all", closing)

    settings.FACT_THREADS = 1
    both_in_a_job = threading.Barrier(1)  # one thread: nothing to wait for
    alone = evaluate(Org.objects.all(), year=today.year, as_of=today).to_json()
    assert set(threads.values()) == {threading.current_thread().name}

    threads.clear()
    both_in_a_job = threading.Barrier(2)
    settings.FACT_THREADS = 2
    assert connection.vendor == "postgresql" and not connection.in_atomic_block
    together = evaluate(Org.objects.all(), year=today.year, as_of=today).to_json()
    assert "facts-1" in threads.values() and threading.current_thread().name in threads.values()
    assert len(together["results"]) > 500
    assert together == alone
    for _ in range(50):  # the helper closes its connection as it ends
        if closed:
            break
        time.sleep(0.1)
    assert closed == ["facts-1"]
