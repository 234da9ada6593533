"""The garbage collector of the long-running processes: gunicorn's web workers (deploy/gunicorn.conf.py,
`post_worker_init`) and the task worker (`dangjian worker`).

A page allocates tens of thousands of objects (query sets, model instances, template contexts) that reference
counting frees as soon as the request ends; the cyclic collector, run after every 700 net allocations by default,
walks them anyway — about twice a page — and every tenth of its runs the middle generation too, which fills with
the application's own objects as they are loaded (the URL configuration, the compiled templates): 4–6 % of a
支部管理员's pages' CPU at municipal scale (9–17 ms of one round of the seven pages of benchmarks/pages.py,
which took 180–260 ms of CPU as the shared machine was faster or slower; measured with `gc.callbacks`).

`settle()`, called once the process has loaded the application, moves everything alive at that moment into the
oldest generation (core.perf.settle: walked only by a full collection, which CPython runs when the long-lived
objects have grown by a quarter) and lets the youngest generation grow to YOUNG_THRESHOLD objects before a
collection. The same round then spent 2–3.5 ms in the collector. Cyclic garbage still goes: a collection comes
after YOUNG_THRESHOLD net allocations instead of 700, which is a page or two. Nothing is frozen (`gc.freeze`):
core.perf.gc_paused, around a city-wide evaluation in the task worker, moves what the evaluation keeps into the
oldest generation the same way, which it does only when nothing is frozen."""

from __future__ import annotations

import gc

from dangjian.core import perf

YOUNG_THRESHOLD = 7000  # the default is 700; the older generations' thresholds are left as they are


def settle() -> None:
    """Moves what the process holds now (the loaded application) into the oldest generation and raises the
    youngest generation's threshold. Called once per process, after the application is loaded and before it
    serves anything."""
    from django.urls import get_resolver

    # the URL configuration, the views it imports and its reverse lookups: loaded now, settled with the rest
    _loaded = get_resolver().reverse_dict
    gc.collect()  # what is garbage already goes now
    perf.settle()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
