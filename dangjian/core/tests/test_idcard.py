import datetime as dt

import pytest

from dangjian.core import idcard


def test_known_valid_number_with_x_check_digit():
    # 11010519491231002X is the GB 11643 worked example (check digit X, female).
    card = idcard.parse("11010519491231002x")
    assert card.number == "11010519491231002X"
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.sex == "F"


def test_sex_comes_from_the_17th_digit():
    assert idcard.parse(idcard.make("310101", dt.date(1990, 5, 4), 123, male=True)).sex == "M"
    assert idcard.parse(idcard.make("310101", dt.date(1990, 5, 4), 123, male=False)).sex == "F"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("11010519491231002", "应为18位，实际17位"),
        ("11010519491231002A", "格式不正确"),
        ("110105194902300021", "出生日期部分不是有效日期"),
        ("110105194912310021", "校验码错误"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(value, reason):
    with pytest.raises(idcard.IdCardError, match=reason):
        idcard.parse(value)


def test_make_produces_numbers_that_parse():
    for seq in (0, 1, 500, 998, 999):
        for male in (True, False):
            number = idcard.make("310104", dt.date(1975, 2, 28), seq, male)
            assert idcard.parse(number).sex == ("M" if male else "F")
