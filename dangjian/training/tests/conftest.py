from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

D = dt.date


@pytest.fixture
def appoint(db):
    from dangjian.orgs.services import create_post

    def _appoint(member, org, started_on, title="shuji", ended_on=None):
        return create_post(
            actor=None,
            data={
                "member": member,
                "org": org,
                "title": title,
                "started_on": started_on,
                "ended_on": ended_on,
            },
        )

    return _appoint


@pytest.fixture
def train(db):
    from dangjian.training.services import add_participants, create_training

    def _train(
        org, members, started_on, *, level="county_rotation", hours="8", ended_on=None, completed=True
    ):
        t = create_training(
            actor=None,
            data={
                "title": f"培训{started_on:%m%d}",
                "organiser": "市级机关工作党委",
                "level": level,
                "org": org,
                "started_on": started_on,
                "ended_on": ended_on or started_on,
                "hours": Decimal(hours),
            },
        )
        add_participants(actor=None, training=t, members=members, completed=completed)
        return t

    return _train
