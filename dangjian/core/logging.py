"""Logging filters: personal data kept out of every log line; a client's error (4xx) logged on one line."""

from __future__ import annotations

import logging
import re

from dangjian.core.context import get_request_id

# 18-character 身份证号 and 11-digit mainland mobile numbers, wherever they appear in a message.
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def redact(text: str) -> str:
    text = _ID_NUMBER.sub("[身份证号已隐去]", text)
    return _PHONE.sub("[手机号已隐去]", text)


class RedactPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id() or "-"
        return True


class ClientErrorOnOneLine(logging.Filter):
    """A request answered with a 4xx (a page outside the user's role: 403; a record outside their scope: 404) is
    logged as Django says it ("Forbidden (需要管理员角色): /movements/member/12/") without the traceback of the
    exception behind it: the refusal is the application working, and twenty lines of stack for each one buried the
    server errors an operator looks for. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id() or "-"
        return redact(super().format(record))
