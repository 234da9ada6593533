import logging

import pytest
from django.db import connection

from dangjian.core.logging import RedactingFormatter, RedactPersonalDataFilter, redact
from dangjian.core.pii import decrypt, encrypt, lookup_hash, mask_id_number, mask_phone
from dangjian.members.models import Member


def test_masks():
    assert mask_id_number("31010119900101123X") == "310101********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == ""


def test_encryption_round_trip_is_not_deterministic():
    a, b = encrypt("31010119900101123X"), encrypt("31010119900101123X")
    assert a != b
    assert decrypt(a) == decrypt(b) == "31010119900101123X"


def test_lookup_hash_is_keyed_and_normalised(settings):
    h = lookup_hash("31010119900101123x ")
    assert h == lookup_hash("31010119900101123X")
    settings.PII_KEY = "another-key"
    assert lookup_hash("31010119900101123X") != h


@pytest.mark.django_db
def test_personal_data_is_not_stored_in_plain_text(tree, make_member):
    member = make_member(tree.a1, phone="13912345678")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_hash FROM members_member WHERE id = %s", [member.pk]
        )
        raw_id, raw_phone, raw_hash = cursor.fetchone()
    assert member.id_number not in raw_id and member.id_number[-6:] not in raw_id
    assert "13912345678" not in raw_phone
    assert raw_hash == lookup_hash(member.id_number)
    assert Member.objects.get(pk=member.pk).phone == "13912345678"


def test_log_lines_never_carry_id_numbers_or_phones(caplog):
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "member %s phone %s", ("31010119900101123X", "13812345678"), None
    )
    RedactPersonalDataFilter().filter(record)
    line = RedactingFormatter("%(message)s").format(record)
    assert "31010119900101123X" not in line and "13812345678" not in line
    assert "[身份证号已隐去]" in line and "[手机号已隐去]" in line


def test_redact_leaves_ordinary_numbers_alone():
    assert redact("共 60000 名党员，2500 个党支部") == "共 60000 名党员，2500 个党支部"


def test_tracebacks_are_redacted():
    try:
        raise ValueError("bad id 31010119900101123X")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = RedactingFormatter("%(message)s").format(record)
    assert "31010119900101123X" not in text and "ValueError" in text
