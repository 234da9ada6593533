"""SMS behind a pluggable gateway: `settings.SMS_BACKEND` names a subclass of `SmsBackend`. The default,
`LogBackend`, only writes a log line naming the recipient's masked phone (no text, no name). The adapter point
for a 政务短信平台: a subclass whose `send(phone, text)` calls the platform's API (its address and credentials
from settings), named in SMS_BACKEND — nothing else changes."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from dangjian.core.pii import mask_phone

logger = logging.getLogger("dangjian.reminders.sms")


class SmsBackend:
    """Sends one text message; raises on failure (the message is then not marked sent, and is tried again)."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LogBackend(SmsBackend):
    def send(self, phone: str, text: str) -> None:
        logger.info("短信提醒（未接入短信平台，仅记录）：发往 %s，%d 字", mask_phone(phone), len(text))


def backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
