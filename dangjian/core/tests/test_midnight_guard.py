"""A CI session does not start in the last half hour before the site's midnight (dangjian/conftest.py): the test
modules' import-time "today" and the code's would be a day apart."""

import datetime as dt
from zoneinfo import ZoneInfo

from dangjian.conftest import wait_past_midnight

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARGIN = dt.timedelta(minutes=30)


def test_a_session_far_from_midnight_starts_at_once():
    assert wait_past_midnight(dt.datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI), MARGIN) == 0.0
    assert wait_past_midnight(dt.datetime(2026, 12, 7, 23, 29, 59, tzinfo=SHANGHAI), MARGIN) == 0.0
    assert wait_past_midnight(dt.datetime(2026, 12, 8, 0, 0, 1, tzinfo=SHANGHAI), MARGIN) == 0.0


def test_a_session_in_the_last_half_hour_waits_until_just_after_midnight():
    assert wait_past_midnight(dt.datetime(2026, 12, 7, 23, 45, tzinfo=SHANGHAI), MARGIN) == 15 * 60 + 5
    assert wait_past_midnight(dt.datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI), MARGIN) == 30 * 60 + 5
