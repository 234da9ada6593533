"""Errors raised by services. Views turn them into messages (or a 404 for out-of-scope records)."""

from __future__ import annotations

from django.utils.translation import gettext


class ServiceError(Exception):
    """A write that was refused; nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class OutOfScope(ServiceError):
    """The actor's roles do not cover the record or the target organisation."""

    def __init__(self, message: str | None = None):
        super().__init__(message or gettext("超出您的管理范围，操作未执行。"))
