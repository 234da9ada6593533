"""GB 11643-1999 citizen identity numbers: check digit, birth date and sex."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")


class IdCardError(ValueError):
    """What is wrong with a number, as the end of a sentence (身份证号…。, "The ID number …")."""


@dataclass(frozen=True)
class IdCard:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def parse(value: str) -> IdCard:
    number = normalize(value)
    if len(number) != 18:
        raise IdCardError(_("应为18位，实际%(n)s位") % {"n": len(number)})
    if not _SHAPE.match(number):
        raise IdCardError(_("格式不正确（前17位应为数字，末位为数字或X）"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdCardError(_("出生日期部分不是有效日期")) from exc
    if birth.year < 1900 or birth > dt.date.today():
        raise IdCardError(_("出生日期部分不在合理范围内"))
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdCardError(_("校验码错误"))
    return IdCard(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def make(prefix6: str, birth: dt.date, seq3: int, male: bool) -> str:
    """Builds a valid number (for synthetic data): sequence parity encodes the sex."""
    seq = (max(0, min(seq3, 999)) // 2) * 2 + (1 if male else 0)
    first17 = f"{prefix6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)
