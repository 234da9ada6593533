"""The compliance overview's organisation rows (`{% org_rows %}`) and a result's status as a badge or in words
(`{% status_badge %}`, `{% status_text %}`), written in Python for speed, are the markup of the templates they
replaced, to the character: every status, a failed result with and without missing periods, a rule that does not
apply (an empty cell), indentation, escaping, in Chinese and in English."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

# compliance/_org_rows.html as it was before the rows were written in Python
REFERENCE = """{% load i18n %}{% for row in rows %}<tr class="dj-co" data-org="{{ row.ref.code }}" data-href="{% url 'compliance:org' row.ref.id %}{{ org_query }}">
<th scope="row" class="dj-cm-first"><span class="dj-co-name dj-indent-{{ row.indent }}"><a href="{% url 'compliance:org' row.ref.id %}{{ org_query }}">{{ row.ref.name }}</a> <span class="badge dj-badge-type dj-type-{{ row.ref.type }}">{{ row.type_label }}</span></span></th>
{% for r in row.cells %}{% if r %}<td class="dj-c dj-c-{{ r.status }}" data-rule="{{ r.rule.id }}" data-status="{{ r.status }}" title="{% if r.status == 'pass' %}{% translate '符合' %}{% elif r.status == 'fail' %}{% translate '不符合' %}{% if r.missing %}：{{ r.missing|join:'、' }}{% endif %}{% elif r.status == 'pending' %}{% translate '待定' %}{% else %}{% translate '不适用' %}{% endif %}">{% if r.status == 'pass' %}✓{% elif r.status == 'fail' %}✗{% elif r.status == 'pending' %}…{% else %}–{% endif %}</td>{% else %}<td class="dj-c"></td>{% endif %}{% endfor %}
</tr>
{% endfor %}
"""


def _result(rule: str, status: str, missing=()):
    return SimpleNamespace(rule=SimpleNamespace(id=rule), status=status, missing=list(missing))


def _rows():
    branch = SimpleNamespace(id=202, code="A1", name="第一支部", type="zhibu")
    group = SimpleNamespace(id=3001, code="A1<G1>", name='第一党小组 <东区> & "西区"', type="xiaozu")
    return [
        SimpleNamespace(
            ref=branch,
            indent=1,
            type_label="党支部",
            cells=[
                _result("MTG-COMMITTEE-MONTHLY", "fail", ["2026-01", "2026-02"]),
                _result("DUES-PAID-MONTHLY", "pass"),
                _result("TALK-ANNUAL", "pending"),
                _result("ORG-TERM", "not_applicable"),
                _result("DEV-STEPS", "fail"),
                None,
            ],
        ),
        SimpleNamespace(
            ref=group,
            indent=4,
            type_label="党小组 <x>",
            cells=[None, _result("MTG-GROUP-MONTHLY", "fail", ["第<1>季度 & 'x'"]), None],
        ),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", ["", "?year=2026&as_of=2026-12-01"])
def test_rows_are_the_templates_markup(language, query):
    django = engines["django"]
    context = {"rows": _rows(), "org_query": query}
    with translation.override(language):
        expected = django.from_string(REFERENCE).render(context)
        ours = django.from_string("{% load compliance_tags %}{% org_rows rows org_query %}\n").render(context)
        included = django.from_string('{% include "compliance/_org_rows.html" %}').render(context)
    assert ours == expected == included
    assert ours.count('<tr class="dj-co"') == 2 and ours.count('<td class="dj-c"></td>') == 3
    assert "&lt;东区&gt; &amp; &quot;西区&quot;" in ours and "<东区>" not in ours
    assert "第&lt;1&gt;季度 &amp; &#x27;x&#x27;" in ours


# compliance/_status.html and _status_text.html, the includes the status tags replaced
BADGE = (
    '{% load i18n %}<span class="badge dj-s dj-s-{{ status }}" data-status="{{ status }}">{% if status == "pass" %}'
    '{% translate "符合" %}{% elif status == "fail" %}{% translate "不符合" %}{% elif status == "pending" %}'
    '{% translate "待定" %}{% else %}{% translate "不适用" %}{% endif %}</span>'
)
TEXT = (
    '{% load i18n %}<span class="text-nowrap" data-history-status="{{ status }}"><span class="dj-dot dj-c-{{ status }}">'
    '</span>{% if status == "pass" %}{% translate "符合" %}{% elif status == "fail" %}{% translate "不符合" %}'
    '{% elif status == "pending" %}{% translate "待定" %}{% else %}{% translate "不适用" %}{% endif %}</span>'
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", ["pass", "fail", "pending", "not_applicable", "<x>"])
def test_status_tags_are_the_includes_markup(language, status):
    django = engines["django"]
    with translation.override(language):
        for reference, tag in ((BADGE, "status_badge"), (TEXT, "status_text")):
            expected = django.from_string(reference).render({"status": status})
            ours = django.from_string(f"{{% load compliance_tags %}}{{% {tag} status %}}").render(
                {"status": status}
            )
            assert ours == expected
            assert "<x>" not in ours
