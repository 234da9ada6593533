"""Arguments shared by the `dangjian` report commands: a year (`--year YYYY`) and a subtree (`--org CODE`), each
refused with a Chinese message and exit code 2."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import QuerySet

from dangjian.orgs.models import Org


def argument_error(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def year_argument(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise argument_error(f"年度“{value}”无效，应为四位数字，如 2026。") from None
    if not 1990 <= year <= 2999:
        raise argument_error(f"年度“{year}”超出范围。")
    return year


def org_subtree(code: str | None) -> QuerySet[Org]:
    """Every organisation, or the one with 组织编码 `code` and its subtree."""
    orgs = Org.objects.all()
    if code:
        root = Org.objects.filter(code=code).first()
        if root is None:
            raise argument_error(f"组织编码“{code}”不存在。")
        orgs = orgs.filter(path__startswith=root.path)
    return orgs
