"""The compliance facts of the talks app ("talks" provider, dangjian.compliance.facts.register_facts): for every
党支部 in scope, its 谈心谈话 dated 1 January Y … D with their participants. One query for the whole scope.
The categories are derived by the check from these and the branch's posts (OrgFacts.posts)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from dangjian.compliance.facts import register_facts
from dangjian.talks.models import Talk


class TalkFact(NamedTuple):
    talk_id: int
    date: dt.date
    members: frozenset[int]


@register_facts("talks")
def load_talk_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, tuple[TalkFact, ...]]:
    rows = (
        Talk.participants.through.objects.filter(
            talk__org_id__in=ids_sq, talk__date__gte=dt.date(year, 1, 1), talk__date__lte=as_of
        )
        .order_by("talk__date", "talk_id")
        .values_list("talk__org_id", "talk_id", "talk__date", "member_id")
    )
    talks: dict[int, dict[int, tuple[dt.date, set[int]]]] = {}
    for org_id, talk_id, date, member_id in rows:
        talks.setdefault(org_id, {}).setdefault(talk_id, (date, set()))[1].add(member_id)
    return {
        org_id: tuple(
            TalkFact(talk_id, date, frozenset(members)) for talk_id, (date, members) in by_talk.items()
        )
        for org_id, by_talk in talks.items()
    }
