"""Helpers for Django choices shared by every app: the Chinese label of a stored value (Excel files and
rule texts are Chinese data whatever the interface language) and the value of a label as written in a
spreadsheet."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import translation


def label_to_value(choices: type[models.TextChoices], label: str) -> str | None:
    """Maps a Chinese label as written in a spreadsheet (or the stored value) to the stored value."""
    label = (label or "").strip()
    with translation.override("zh-hans"):
        for value, text in zip(choices.values, choices.labels, strict=True):
            if str(text) == label or value == label:
                return value
    return None


def chinese_label(choices: type[models.TextChoices], value: str) -> str:
    with translation.override("zh-hans"):
        return str(dict(choices.choices).get(value, value))


def choice_label(choices: type[models.Choices], value: Any) -> str:
    """The label of `value` in the active language, for messages (the value itself when it is not a choice)."""
    return str(dict(choices.choices).get(value, value))
