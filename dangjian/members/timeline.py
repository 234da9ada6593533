"""One timeline per member, assembled from the records other modules already hold (never a second copy).

Each domain registers a source: a function `(member, on) -> Iterable[TimelineEvent]` that reads that
domain's records of the member with a fixed, small number of queries. `timeline(member)` calls every
source and sorts the events by date. Sources register at import time; the apps import their timeline
module in `AppConfig.ready()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["TIMELINE_SOURCES", "TimelineEvent", "register_timeline_source", "timeline"]


@dataclass(frozen=True)
class TimelineEvent:
    date: dt.date
    kind: str  # stable machine key, e.g. "member.joined", "pipeline.step", "movements.status"
    title: str  # short Chinese title, e.g. "确定为入党积极分子"
    detail: str = ""  # one line of detail (no personal data beyond the member's own page)
    org_code: str = ""  # the organisation the event belongs to, when there is one
    url: str = ""  # a page with the record, when there is one
    order: int = 0  # tie-break among events of the same date (lower first)


Source = Callable[..., Iterable[TimelineEvent]]
TIMELINE_SOURCES: dict[str, Source] = {}


def register_timeline_source(name: str) -> Callable[[Source], Source]:
    def decorate(source: Source) -> Source:
        if name in TIMELINE_SOURCES and TIMELINE_SOURCES[name] is not source:
            raise RuntimeError(f"timeline source {name!r} registered twice")
        TIMELINE_SOURCES[name] = source
        return source

    return decorate


def timeline(member, *, on: dt.date | None = None) -> list[TimelineEvent]:
    """Every event of the member up to `on` (default: today), oldest first."""
    on = on or dt.date.today()
    events = [e for source in TIMELINE_SOURCES.values() for e in source(member, on) if e.date <= on]
    return sorted(events, key=lambda e: (e.date, e.order, e.kind, e.title))
