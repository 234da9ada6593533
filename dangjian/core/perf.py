"""Helpers for the few code paths that build millions of small objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector for a bulk computation (a `with` block, or `@gc_paused()` on a
    function: each call pauses it). A city-wide evaluation allocates
    millions of short-lived tuples and lists (none of them in reference cycles, so reference counting frees
    them); the collector would otherwise re-scan every live object many times (about a third of the run).
    Restores the previous state, also when the block raises."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            settle()
            gc.enable()


def settle() -> None:
    """Moves every object the collector tracks into its oldest generation, without walking them. After a bulk
    computation the youngest generation holds the millions of objects it allocated, and whatever of them is still
    alive (the results handed back) would be walked by the first collection after the collector resumes — about
    0.3 s for a city's evaluation, paid at the next allocation. In the oldest generation they are walked only by a
    full collection, which CPython runs when the long-lived objects have grown by a quarter; they stay collectable
    there. (`gc.freeze` moves every generation into the permanent one and `gc.unfreeze` moves that back into the
    oldest: two list splices.)"""
    if gc.get_freeze_count():  # someone froze objects on purpose (a pre-forking server): leave them frozen
        return
    gc.freeze()
    gc.unfreeze()
