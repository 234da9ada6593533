import pytest

from dangjian.compliance.tests.conftest import branch, meet, result  # noqa: F401  (shared fixtures)
from dangjian.meetings.services import create_meeting


@pytest.fixture
def hold():
    """hold(org, day, *types, host=None, absent={member: reason or (kind, text)}) → a record made through the
    service (a reason "" is an absence without a recorded reason)."""

    def _hold(org, day, *types, host=None, absent=None, topic="组织生活"):
        return create_meeting(
            actor=None,
            data={"org": org, "date": day, "topic": topic, "host": host},
            types=list(types),
            absentees={m.pk: reason for m, reason in (absent or {}).items()},
        )

    return _hold
