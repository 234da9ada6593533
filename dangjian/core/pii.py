"""Personal data at rest: Fernet encryption plus a keyed hash for exact look-up and uniqueness.

Keys come from settings: PII_KEY when set, otherwise derived from SECRET_KEY. Two independent keys
are derived (one to encrypt, one to hash) so that the look-up hash reveals nothing about the cipher key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


def _master_key() -> bytes:
    return (settings.PII_KEY or settings.SECRET_KEY).encode()


@lru_cache(maxsize=4)
def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dangjian-pii", info=purpose).derive(master)


def derived_key(purpose: bytes) -> bytes:
    """A 32-byte key of its own for `purpose` (e.g. the exports kept on disk), derived from PII_KEY."""
    return _derive(_master_key(), b"purpose:" + purpose)


@lru_cache(maxsize=4)
def _fernet_for(master: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(master, b"encrypt")))


def _fernet() -> Fernet:
    return _fernet_for(_master_key())  # built once per key, not once per value


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key: never fall back to showing the cipher text
        raise ValueError("personal data cannot be decrypted with the configured key") from exc


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised value, for exact match and unique constraints."""
    key = _derive(_master_key(), b"lookup")
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """310101199001011234 → 310101********1234."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


class EncryptedTextField(models.TextField):
    """Stores Fernet cipher text; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
