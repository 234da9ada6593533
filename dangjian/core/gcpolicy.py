"""The garbage collector of a long-lived web process (deploy/gunicorn.conf.py).

A web process holds about 340,000 objects that live as long as it does: Django's modules, the URLconf, the compiled
templates, the translation catalogues — a third made at start, the rest on the first requests that need them. CPython's
full (generation 2) collection walks every one of them: about 100 ms on the 2-core machine the project is measured on,
during which the process's other thread waits too. It comes whenever the objects that outlived two younger
collections since the last one exceed a quarter of the old ones — after a few large requests (an overview, an
export), whose rows outlive the younger collections made while they are built. The request it falls on takes 100 ms
longer: a tail of the latency that no page's own work explains.

`gc.freeze()` moves every object alive into a permanent generation that collections do not walk (the standard
library's answer for processes like these). A web process freezes what its start made (`process_started`), and once
more after its first `FREEZE_AFTER` requests (`request_done`), when the templates and catalogues the pages use are
loaded: its full collections then walk only the objects made since — a few milliseconds. What is frozen is never
collected: a cycle of garbage alive at the moment would stay, so each freeze is preceded by a full collection, and it
happens twice in the life of a process (which gunicorn replaces after GUNICORN_MAX_REQUESTS requests anyway). A
request the process's other thread is serving at the second freeze has its objects frozen too: those freed by their
reference counts go as usual, a cycle among them stays — at most one request's worth, once.

`GcWatch` counts the collections of each generation and their pauses, for the line a process logs when it exits.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field


@dataclass
class GcWatch:
    """Collections per generation since `install`: how many, their total and longest pause (ms)."""

    count: list[int] = field(default_factory=lambda: [0, 0, 0])
    total_ms: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    longest_ms: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    _started: float = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        took = (time.perf_counter() - self._started) * 1000
        self.count[generation] += 1
        self.total_ms[generation] += took
        self.longest_ms[generation] = max(self.longest_ms[generation], took)

    def install(self) -> GcWatch:
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def summary(self) -> str:
        return "; ".join(
            f"generation {g}: {self.count[g]} collections, {self.total_ms[g]:.0f} ms in all, "
            f"the longest {self.longest_ms[g]:.1f} ms"
            for g in range(3)
        )


class WebProcessGc:
    """The policy of one web process: freeze at start and after `freeze_after` requests (0: only at start; below 0:
    never, CPython's own behaviour — the collections are still counted)."""

    def __init__(self, freeze_after: int) -> None:
        self.freeze_after = freeze_after
        self.requests = 0
        self.frozen_after_requests = False
        self.watch = GcWatch()
        self._lock = threading.Lock()

    def process_started(self) -> int:
        """The application is loaded: its objects frozen; the watch installed. The number of objects frozen."""
        self.watch.install()
        return freeze() if self.freeze_after >= 0 else 0

    def request_done(self) -> int:
        """After each request: the `freeze_after`-th freezes what the first requests loaded (once). The number of
        objects it froze (0 on every other request)."""
        with self._lock:
            self.requests += 1
            due = (
                self.freeze_after > 0
                and not self.frozen_after_requests
                and self.requests >= self.freeze_after
            )
            if due:
                self.frozen_after_requests = True
        return freeze() if due else 0

    def summary(self) -> str:
        return f"{self.requests} requests, {gc.get_freeze_count()} objects frozen; {self.watch.summary()}"


def freeze() -> int:
    """A full collection, then every object alive into the permanent generation: how many it holds now less before."""
    before = gc.get_freeze_count()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count() - before
