import datetime as dt

import pytest

from dangjian.orgs.services import update_org


@pytest.fixture
def a1_voters(tree, make_member):
    """甲一支部 with 10 正式党员 and 1 预备党员 on 2026-09-01; its term started 2023-09-01 (3 years)."""
    update_org(actor=None, org=tree.a1, data={"term_started_on": dt.date(2023, 9, 1)})
    tree.a1.refresh_from_db()
    members = [make_member(tree.a1, name=f"党员{i:02d}") for i in range(10)]
    make_member(
        tree.a1, name="预备党员甲", category="probationary", joined_on=dt.date(2026, 3, 1), confirmed_on=None
    )
    return members


def cands(members, votes, titles=None):
    titles = titles or {}
    return [
        {"member": m, "votes": v, "title": titles.get(i, "weiyuan")}
        for i, (m, v) in enumerate(zip(members, votes, strict=False))
    ]
