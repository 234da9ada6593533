"""The 403 page says why the page was refused (the sentence the view raised PermissionDenied with), and tells a
party user whom to ask but a system role (三员分立) that its pages are its role's. Every PermissionDenied the project
raises with a message carries a fixed sentence, so the page shows no record's data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

ASK = "如需开通，请联系上级党组织管理员。"
SEPARATED = "按照三员分立的要求，系统角色账号只能使用本角色的页面"


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def forbidden(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 403, url
    body = response.content.decode()
    assert 'data-status="403"' in body and "无权访问" in body
    return body


def test_a_system_role_is_told_the_reason_and_not_to_ask_a_party_administrator(system_users, tree):
    body = forbidden(system_users["xitong"], reverse("orgs:tree"))
    assert "此页面仅供党组织管理员使用。" in body and SEPARATED in body and ASK not in body
    body = forbidden(system_users["anquan"], reverse("system:users"))
    assert "此页面仅供系统管理员使用。" in body and SEPARATED in body and ASK not in body
    body = forbidden(system_users["shenji"], reverse("locks"))
    assert "只有安全管理员可以解除登录锁定。" in body and ASK not in body
    body = forbidden(system_users["xitong"], reverse("reminders:calendar"))  # raised without a sentence
    assert "您的账号没有使用此页面的权限。" in body and SEPARATED in body


def test_a_party_user_is_told_the_reason_and_whom_to_ask(users):
    body = forbidden(users["member_a1"], reverse("dues:arrears"))
    assert "此页面仅供党组织管理员使用。" + ASK in body and SEPARATED not in body
    body = forbidden(users["branch_a1"], reverse("system:users"))
    assert "此页面仅供系统管理员使用。" in body and ASK in body


# --- the sentences PermissionDenied is raised with ------------------------------------------------------------

# where a sentence is completed with %-formatting, and with what: the labels of the system roles only
FORMATTED = {"dangjian/accounts/sysviews.py"}


def _fixed(node: ast.expr) -> bool:
    """A string literal, or gettext of one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("_", "gettext", "gettext_lazy")
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
    )


def test_every_permission_denied_with_a_message_carries_a_fixed_sentence():
    root = Path(settings.BASE_DIR)
    found, loose = [], []
    for path in sorted((root / "dangjian").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            if not (isinstance(call.func, ast.Name) and call.func.id == "PermissionDenied") or not call.args:
                continue
            message = call.args[0]
            found.append(relative)
            formatted = isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod)
            if not (_fixed(message) or (formatted and relative in FORMATTED and _fixed(message.left))):
                loose.append(f"{relative}:{node.lineno}")
    assert "dangjian/accounts/web.py" in found and "dangjian/accounts/sysviews.py" in found
    assert loose == []
