"""The Content-Security-Policy allows no inline script, and no template carries one."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_pages_send_a_policy_that_allows_scripts_from_the_site_only(client, django_user_model):
    for response in (client.get(reverse("login")), client.get("/")):
        policy = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_no_template_has_an_inline_script_or_event_handler():
    inline = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                inline.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text):
            inline.append(f"{path.relative_to(TEMPLATES)}: {handler.strip()}")
        if "javascript:" in text:
            inline.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert inline == []


def test_json_data_for_the_charts_is_not_a_script():
    """json_script writes <script type="application/json">: data, which a policy without inline script allows."""
    text = (TEMPLATES / "core" / "dashboard.html").read_text(encoding="utf-8")
    assert "json_script" in text and "js/dashboard.js" in text
