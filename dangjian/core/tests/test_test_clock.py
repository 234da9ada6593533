"""The suite's clock: a test module reads the site's time zone from its import on (dangjian/conftest.py), so that a
module-level `dt.date.today()` and the pages' `timezone.localdate()` are the same day at any hour of the machine's
(between 16:00 and 24:00 UTC they were a day apart)."""

import os
import time

from django.conf import settings
from django.utils import timezone

ZONE_AT_IMPORT = os.environ.get("TZ")
OFFSET_AT_IMPORT = time.localtime().tm_gmtoff


def test_a_test_module_is_imported_in_the_sites_time_zone():
    assert ZONE_AT_IMPORT == settings.TIME_ZONE
    assert OFFSET_AT_IMPORT == timezone.localtime().utcoffset().total_seconds()
