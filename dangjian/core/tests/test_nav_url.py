"""`{% nav_url %}` (core/templatetags/nav.py): the navigation bar's links reversed once per process give the URLs
`{% url %}` gives, under any script prefix the site is served from."""

from __future__ import annotations

import re

from django.conf import settings
from django.template import engines
from django.urls import reverse, set_script_prefix

from dangjian.core.templatetags.nav import nav_url

BASE = (settings.BASE_DIR / "templates" / "base.html").read_text(encoding="utf-8")


def test_every_link_of_the_navigation_bar_is_the_url_of_its_view():
    names = set(re.findall(r"\{% nav_url '([a-z_:]+)' %\}", BASE))
    assert len(names) > 20  # the bar's links: a change of the template that dropped them would show here
    for name in names:
        assert nav_url(name) == reverse(name), name
        assert nav_url(name) == reverse(name), name  # the second time from the cache


def test_the_script_prefix_is_part_of_the_key():
    """Served under a prefix (a reverse proxy's /dangjian/), the same name gives the prefixed URL, and the site's
    root gives the plain one again: neither is taken from the other's cache entry."""
    plain = nav_url("meetings:list")
    try:
        set_script_prefix("/dangjian/")
        assert nav_url("meetings:list") == "/dangjian" + plain == reverse("meetings:list")
    finally:
        set_script_prefix("/")
    assert nav_url("meetings:list") == plain


def test_the_tag_writes_what_the_url_tag_writes():
    engine = engines["django"]
    names = ["dashboard", "meetings:list", "dues:sheet", "set_language", "logout"]
    ours = engine.from_string("{% load nav %}" + "|".join(f"{{% nav_url '{n}' %}}" for n in names)).render({})
    django = engine.from_string("|".join(f"{{% url '{n}' %}}" for n in names)).render({})
    assert ours == django
