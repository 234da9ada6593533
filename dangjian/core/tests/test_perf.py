"""gc_paused: the collector is paused in the block and resumes after it, and what the block made and still holds
is in the oldest generation, where only a full collection walks it (not the next young collection)."""

import gc

import pytest

from dangjian.core.perf import gc_paused


def _in_oldest_generation(obj) -> bool:
    return any(o is obj for o in gc.get_objects(generation=2))


def test_the_collector_is_paused_in_the_block_and_resumes_after_it():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_resumes_when_the_block_raises():
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_what_the_block_made_is_moved_to_the_oldest_generation():
    with gc_paused():
        kept = [[i] for i in range(10_000)]
    assert _in_oldest_generation(kept)
    assert _in_oldest_generation(kept[-1])


def test_a_paused_collector_stays_paused():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_as_a_decorator_each_call_pauses_and_resumes():
    seen = []

    @gc_paused()
    def bulk(n):
        seen.append(gc.isenabled())
        if n:
            bulk(n - 1)  # a nested call leaves the outer one paused
            seen.append(gc.isenabled())

    bulk(1)
    bulk(0)
    assert seen == [False, False, False, False] and gc.isenabled()
