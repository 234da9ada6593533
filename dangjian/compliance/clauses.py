"""The clauses of the 实施意见, read from the copy of the policy text kept with the rulebook
(`rules/source/shishi_yijian.txt`), so nothing outside the project is read at run time.

The source text has its full-width punctuation flattened to ASCII ("(十一)", ","); `normalise` restores
the Chinese forms, so clauses are looked up as "（十一）" and key sentences are written as in Chinese.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from dangjian.compliance.rulebook import rules_dir

SOURCE = Path("source") / "shishi_yijian.txt"
_ASCII_TO_FULL = str.maketrans({",": "，", "(": "（", ")": "）", ";": "；", ":": "：", "?": "？", "!": "！"})
_CLAUSE_HEAD = re.compile(r"^（([一二三四五六七八九十]+)）")


def normalise(text: str) -> str:
    return text.translate(_ASCII_TO_FULL).strip()


@lru_cache(maxsize=4)
def _clauses(path: str) -> dict[str, str]:
    clauses: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = normalise(line)
        match = _CLAUSE_HEAD.match(line)
        if match:
            clauses[f"（{match.group(1)}）"] = line
    return clauses


def all_clauses() -> dict[str, str]:
    """Clause label ("（一）" … "（二十）") → its full text, in document order."""
    return dict(_clauses(str(rules_dir() / SOURCE)))


def clause_text(clause: str) -> str:
    """ "（十一）" (or "(十一)") → the clause's full text; KeyError for an unknown clause."""
    return _clauses(str(rules_dir() / SOURCE))[normalise(clause)]
