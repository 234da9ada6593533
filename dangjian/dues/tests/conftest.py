import datetime as dt

import pytest

from dangjian.compliance.tests.conftest import branch  # noqa: F401  (the shared branch fixture)


@pytest.fixture
def this_month(today) -> dt.date:
    """The first day of the month the test runs in."""
    return today.replace(day=1)


@pytest.fixture
def ym(this_month) -> str:
    """That month as the pages and forms write it (YYYY-MM)."""
    return f"{this_month:%Y-%m}"
