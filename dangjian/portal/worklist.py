"""The work list as the page shows it: one rule's missed months (or quarters) of one organisation are one entry.

`compliance.workbench` makes one item per missed period of a periodic rule (a 党费 month, a 支委会 month): that is
what the counts at the top count, and each period's item has its own link (the collection sheet of that month).
A branch that has missed 党费 since January read eleven cards saying the same thing with eleven equal buttons. The
page now shows them as one entry, placed where its earliest period stands (overdue first, by due day): the earliest
period's date and button, and every period as a link of its own. Items of other kinds, and a rule's single missed
period, are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from dangjian.compliance.workbench import WorkItem


@dataclass(frozen=True)
class Entry:
    item: WorkItem  # the entry's first item: its date, badges, title, organisation and button
    periods: tuple[
        WorkItem, ...
    ] = ()  # a rule's missed periods of one organisation, two or more, in list order

    @property
    def count(self) -> int:
        return len(self.periods) or 1

    @property
    def quarterly(self) -> bool:
        """Missed quarters ("2026-Q2"), not months."""
        return any("Q" in i.period for i in self.periods)

    @property
    def period_links(self) -> list[tuple[str, str]]:
        """(period label, URL or "") of each missed period: the URL only when the periods lead to different pages
        (a link the entry's own button already gives is not repeated as a chip)."""
        urls = {i.link.url if i.link is not None else "" for i in self.periods}
        distinct = len(urls) > 1
        return [(i.period_label, i.link.url if distinct and i.link is not None else "") for i in self.periods]


def _missed_period(item: WorkItem) -> bool:
    """One missed period of a failed periodic rule (its detail is the year's result, not repeated per period)."""
    return bool(item.period and item.rule_id and item.overdue and not item.detail)


def entries(items: list[WorkItem]) -> list[Entry]:
    """`items` (sorted as the page lists them) as entries: the missed periods of one rule and organisation together,
    at the place of the first of them."""
    groups: dict[tuple, list[WorkItem]] = {}
    for item in items:
        if _missed_period(item):
            groups.setdefault((item.category, item.rule_id, item.org.id), []).append(item)
    shown: list[Entry] = []
    for item in items:
        group = groups.get((item.category, item.rule_id, item.org.id)) if _missed_period(item) else None
        if group is None or len(group) < 2:
            shown.append(Entry(item))
        elif group[0] is item:
            shown.append(Entry(item, tuple(group)))
    return shown
