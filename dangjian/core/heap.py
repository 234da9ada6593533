"""The garbage collector of the long-running processes: gunicorn's web workers (deploy/gunicorn.conf.py,
`post_worker_init`) and the task worker (`dangjian worker`).

A page allocates tens of thousands of objects (query sets, model instances, template nodes' contexts) that are
nearly all freed by reference counting as soon as the request ends; the cyclic collector, run after every 700
net allocations by default, walks them anyway, and every tenth of its runs the older generation too, which by
then holds the whole application — Django, its models, the URL configuration, the compiled templates: 4–6 % of
a 支部管理员's pages' CPU at municipal scale (9–17 ms of one round of the seven pages of benchmarks/pages.py, which
took 180–260 ms of CPU as the shared machine was faster or slower; measured with `gc.callbacks`).

`settle()`, called once the process has loaded the application, moves everything alive at that moment into the
permanent generation (`gc.freeze`: the collector no longer walks it) and lets the youngest generation grow to
YOUNG_THRESHOLD objects before a collection. The same round then spent 2–3.5 ms in the collector. Cyclic garbage
still goes: a collection comes after YOUNG_THRESHOLD net allocations instead of 700, which is a page or two."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 7000  # the default is 700; the older generations' thresholds are left as they are


def settle() -> None:
    """Freezes what the process holds now (the loaded application) and raises the youngest generation's
    threshold. Called once per process, after the application is loaded and before it serves anything."""
    from django.urls import get_resolver

    # the URL configuration, the views it imports and its reverse lookups: loaded now, frozen with the rest
    _loaded = get_resolver().reverse_dict
    gc.collect()  # what is garbage already is not frozen
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
