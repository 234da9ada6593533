"""The members app's check after a restore (dangjian.core.backup.RESTORE_CHECKS): a sample of members' ID
numbers decrypts with the configured key and is found again by its keyed hash."""

from __future__ import annotations

from dangjian.core import pii
from dangjian.core.backup import BackupError
from dangjian.members.models import Member

SAMPLE = 5


def sample_decrypts() -> str:
    sample = list(Member.objects.order_by("pk")[:SAMPLE])
    for member in sample:
        try:
            number = member.id_number
        except ValueError as exc:
            raise BackupError(f"党员（编号 {member.pk}）的身份证号无法用当前密钥解密。") from exc
        if not Member.objects.filter(id_number_hash=pii.lookup_hash(number), pk=member.pk).exists():
            raise BackupError(f"按身份证号查不到党员（编号 {member.pk}）：身份证号与其查重值不符。")
    return f"抽查 {len(sample)} 名党员的身份证号可解密，并可按身份证号查到"
