"""The 组织生活 list's rows and a record's type badges (`{% meeting_rows %}`, `|meeting_badges`, written in Python
for speed) are the markup of the template loop and the include they replaced, to the character: records of one
type and of several, with and without a 单位 line, an attendance headline, an author, escaping, in Chinese and in
English."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from dangjian.meetings.models import MeetingKind
from dangjian.meetings.templatetags.meeting_tags import meeting_badges

# The loop of meetings/list.html and meetings/_type_badges.html as they were before the rows were written in Python.
BADGES = (
    '{% for k in kinds %}<span class="badge dj-mt dj-mt-{{ k.type }}">{{ k.get_type_display }}</span>'
    "{% if not forloop.last %} {% endif %}{% endfor %}\n"
)
REFERENCE = """{% load i18n %}{% for m in meetings %}
        <tr>
          <td class="text-nowrap dj-date-cell" data-label="{% translate '日期' %}">{{ m.date|date:"Y-m-d" }}</td>
          <td class="dj-org-cell" data-label="{% translate '组织' %}">{{ m.org.name }}{% if m.org.unit %}<div class="small dj-muted">{{ m.org.unit }}</div>{% endif %}</td>
          <td class="dj-types-cell" data-label="{% translate '类型' %}">BADGES</td>
          <td class="dj-topic-cell" data-label="{% translate '主题' %}"><a href="{% url 'meetings:detail' m.pk %}">{{ m.topic }}</a></td>
          <td class="text-end text-nowrap dj-count-cell" data-label="{% translate '应到/实到' %}">{% if m.headline %}<span title="{{ m.headline.get_type_display }}">{{ m.headline.expected }} / {{ m.headline.present }}</span>{% else %}—{% endif %}</td>
          <td class="text-nowrap small dj-author-cell" data-label="{% translate '录入人' %}">{% if m.created_by %}{{ m.created_by.display_name }}{% else %}{% translate "系统" %}{% endif %}</td>
        </tr>
        {% endfor %}""".replace("BADGES", BADGES.replace("kinds", "m.kind_list"))


def _kind(meeting_type: str, expected: int = 0, present: int = 0) -> MeetingKind:
    return MeetingKind(type=meeting_type, expected=expected, present=present)


def _author(name: str):
    return SimpleNamespace(display_name=lambda: name)


def _meetings():
    branch = SimpleNamespace(name="第一支部", unit="市民政局")
    group = SimpleNamespace(name="第一党小组 <东区> & 西区", unit="")
    committee = _kind("committee", 5, 4)
    assembly = _kind("assembly", 31, 28)
    return [
        SimpleNamespace(
            pk=11,
            date=dt.date(2026, 12, 3),
            org=branch,
            topic="学习贯彻全会精神",
            kind_list=[assembly, _kind("lecture"), _kind("theme_day")],
            headline=assembly,
            created_by=_author("张三"),
        ),
        SimpleNamespace(
            pk=12,
            date=dt.date(2026, 1, 9),
            org=group,
            topic="<研究> \"本月\" 'x' & 工作",
            kind_list=[committee],
            headline=committee,
            created_by=None,
        ),
        SimpleNamespace(
            pk=13,
            date=dt.date(2026, 6, 30),
            org=branch,
            topic="主题党日",
            kind_list=[],
            headline=None,
            created_by=_author("O'Brien <李四>"),
        ),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_are_the_template_loops_markup(language):
    django = engines["django"]
    with translation.override(language):
        expected = django.from_string(REFERENCE).render({"meetings": _meetings()})
        ours = django.from_string("{% load meeting_tags %}{% meeting_rows meetings %}").render(
            {"meetings": _meetings()}
        )
    assert ours == expected
    assert ours.count("<tr>") == 3
    assert "&lt;研究&gt;" in ours and "<研究>" not in ours
    assert "O&#x27;Brien &lt;李四&gt;" in ours


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_badges_are_the_includes_markup(language):
    kinds = _meetings()[0].kind_list
    with translation.override(language):
        expected = engines["django"].from_string(BADGES).render({"kinds": kinds})
        assert meeting_badges(kinds) + "\n" == expected
    assert meeting_badges([]) == ""
