"""Helpers for the few code paths that build millions of small objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector for a bulk computation. A city-wide evaluation allocates
    millions of short-lived tuples and lists (none of them in reference cycles, so reference counting frees
    them); the collector would otherwise re-scan every live object many times (about a third of the run).
    Restores the previous state, also when the block raises."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
