"""A refused request is logged on one line; a server error keeps its traceback (dangjian.core.logging)."""

from __future__ import annotations

import logging

from django.urls import reverse


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_403_is_logged_on_one_line_without_its_traceback(client, users, settings):
    settings.DEBUG = False
    kept = Kept()
    logger = logging.getLogger("django.request")
    logger.addHandler(kept)
    try:
        client.force_login(users["member_a1"])
        assert client.get(reverse("members:list")).status_code == 403
    finally:
        logger.removeHandler(kept)
    (record,) = [r for r in kept.records if getattr(r, "status_code", None) == 403]
    assert record.getMessage().startswith("Forbidden") and record.exc_info is None
    assert "Traceback" not in logging.Formatter().format(record)


def test_a_server_error_keeps_its_traceback():
    from dangjian.core.logging import ClientErrorOnOneLine

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        failed = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", None, sys.exc_info()
        )
    failed.status_code = 500
    assert ClientErrorOnOneLine().filter(failed) and failed.exc_info is not None
    assert "Traceback" in logging.Formatter().format(failed)
