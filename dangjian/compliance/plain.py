"""A rule's basis and note in plain words, for everyone but the 工委管理员 on the rulebook page.

The rulebook keeps the research behind each rule: reference codes of the regulations studied (BR-12, FEE-08),
confidence levels (MEDIUM, 可信度中等), "条号推定/待核", which numbers were made parameters and their keys,
corrections between versions. A 党务干部 reading a result needs the rule, its clause and its article, not
that apparatus: these functions leave out the parenthetical remarks and the sentences made of it, and name a
rule by its title rather than its id."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from django.utils.translation import gettext as _

# what marks a remark as research provenance: a reference code of the catalogue (BR-12, FEE-08; not the last part
# of a rule id such as MEM-ABROAD-STUDY-5Y, which is named by its title)
_PROVENANCE = re.compile(
    r"(?<![-A-Za-z0-9])[A-Z]{2,}-\d+(?![-A-Za-z0-9])|\b[a-z]+(?:_[a-z]+)+\b|\b(?:strict|true|false|joined|confirmed)\b|MEDIUM|LOW|HIGH|UNCONFIRMED"
    r"|可信度|条号|条款号|待核|未核实|未确认|为参数|参数|第\s*\d+\s*版|据旗帜网|第三方资料|来源不确定|来源为|来源可靠"
)
# a sentence about the research itself (kept out whole)
_PROVENANCE_SENTENCE = re.compile(
    r"可信度|MEDIUM|LOW|HIGH|UNCONFIRMED|来源不确定|来源为|来源可靠|条号|条款号|未核实|(?<!规则)参数|第\s*\d+\s*版|两种来源"
)
_COMMAND = re.compile(r"\s*(?:和|及)?\s*dangjian(?: [a-z_-]+)+\s*")  # a command line of the software
_OPEN, _CLOSE = "（(", "）)"
_RULE_ID = re.compile(r"\s*\b[A-Z]+(?:-(?:[A-Z0-9]+|\*))+\b\s*")


@lru_cache(maxsize=2048)
def _without_remarks(text: str) -> str:
    """`text` without the parenthetical remarks (（…） or (…), nested ones included) that are provenance. The texts are
    the rulebooks' bases and notes, a few hundred in all: kept once worked out (a 支部's results page asks for some
    eighty on every view)."""
    out: list[str] = []
    stack: list[int] = []  # where each open remark starts in `out`
    for ch in text:
        if ch in _OPEN:
            stack.append(len(out))
            out.append(ch)
        elif ch in _CLOSE and stack:
            start = stack.pop()
            out.append(ch)
            if _PROVENANCE.search("".join(out[start:])):
                del out[start:]
        else:
            out.append(ch)
    return "".join(out)


def plain_basis(basis: str) -> str:
    """ "《支部工作条例（试行）》第十五条（BR-12，…；条号推定）；每季度至少1次为地方规定（BR-13）" →
    "《支部工作条例（试行）》第十五条；每季度至少1次为地方规定"."""
    return re.sub(r"\s+", " ", _without_remarks(basis)).strip(" ；;")


def plain_note(note: str, titles: Mapping[str, str]) -> str:
    """The note without its remarks and sentences about provenance; a rule id becomes “its title”."""
    text = _without_remarks(note)
    sentences = [s for s in re.split(r"(?<=。)", text) if s.strip()]
    kept = [s for s in sentences if not _PROVENANCE_SENTENCE.search(s)]

    def title(match: re.Match[str]) -> str:
        rule_id = match.group(0).strip()
        if "*" in rule_id:
            return _("相应的各条规则")
        found = titles.get(rule_id)
        return f"“{found}”" if found else match.group(0)

    return _RULE_ID.sub(title, _COMMAND.sub("", "".join(kept))).strip()
