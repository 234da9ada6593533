"""Helpers for Django choices shared by every app: the Chinese label of a stored value (Excel files and
rule texts are Chinese data whatever the interface language) and the value of a label as written in a
spreadsheet."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from django.utils import translation


def label_to_value(choices: type[models.TextChoices], label: str) -> str | None:
    """Maps a Chinese label as written in a spreadsheet (or the stored value) to the stored value."""
    return _by_label(choices).get((label or "").strip())


@cache
def _by_label(choices: type[models.TextChoices]) -> dict[str, str]:
    """Chinese label or stored value → stored value, built once per choices class (an import reads a choice
    cell on every row). A text that is one choice's label and another's value maps as the choices' order
    decides: the first choice it names."""
    found: dict[str, str] = {}
    with translation.override("zh-hans"):
        for value, text in zip(choices.values, choices.labels, strict=True):
            found.setdefault(str(text), value)
            found.setdefault(value, value)
    return found


def chinese_label(choices: type[models.TextChoices], value: str) -> str:
    labels = _chinese_labels(choices)
    return labels[value] if value in labels else str(value)


@cache
def _chinese_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Stored value → Chinese label, built once per choices class (an import's audit snapshots name three
    choices per member)."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}


def choice_label(choices: type[models.Choices], value: Any) -> str:
    """The label of `value` in the active language, for messages (the value itself when it is not a choice)."""
    return str(dict(choices.choices).get(value, value))
