"""The 党费收缴表's rows (`{% sheet_rows %}`, written in Python for speed) are the markup of the template loop they
replaced, to the character: every kind of row (paid, part paid, open, exempt, without a declared base, in a 党小组,
with 预交/补交 notes, ticked by 全选, ticked and refused with its errors, a name that needs escaping), in Chinese
and in English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from dangjian.dues.forms import PaymentRowForm
from dangjian.dues.ledger import LedgerRow
from dangjian.dues.selectors import SheetRow
from dangjian.dues.templatetags.dues_tags import sheet_rows

# The template loop as it was in dues/sheet.html before the rows were written in Python (a 党小组's name since
# shortened under its branch's, `within`; a row without a declared base since linked to the member's 申报缴费基数 form).
REFERENCE = """{% load i18n dues_tags %}{% translate '类别' as l_cat %}{% translate '基数' as l_base %}{% translate '比例' as l_rate %}{% translate '应交' as l_due %}{% translate '实交' as l_paid %}{% translate "金额" as l_amount %}{% translate "缴纳方式" as l_method %}{% translate "缴纳日期" as l_date %}{% for r in rows %}
        <tr data-member="{{ r.member.pk }}" data-status="{{ r.status }}" class="{% if r.form.errors and r.form.picked %}dj-row-error{% endif %}">
          <th scope="row" class="dj-name-cell fw-normal"><a href="{% url 'dues:member' r.member.pk %}?year={{ month.year }}" data-testid="member-link">{{ r.member.name }}</a>{% if r.member.org_id != org.pk %}<div class="small dj-muted text-nowrap" title="{{ r.member.org.name }}">{{ r.member.org.name|within:org.name }}</div>{% endif %}</th>
          <td class="dj-cat-cell" data-label="{{ l_cat }}">{{ r.category_label|default:"—" }}</td>
          <td class="text-end dj-num dj-base-cell" data-label="{{ l_base }}">{% if r.row.base is not None %}{{ r.row.base|floatformat:2 }}{% else %}—{% endif %}</td>
          <td class="text-end dj-num dj-rate-cell" data-label="{{ l_rate }}">{{ r.rate_label|default:"—" }}</td>
          <td class="text-end dj-num dj-due-cell" data-label="{{ l_due }}">{% if r.row %}{{ r.row.due|floatformat:2 }}{% else %}—{% endif %}</td>
          <td class="text-end dj-num dj-paid-cell" data-label="{{ l_paid }}">{% if r.row %}{{ r.row.paid|floatformat:2 }}{% else %}—{% endif %}</td>
          <td class="dj-status-cell">{{ r.status|dues_status }}{% for n in r.notes %}<div class="small dj-muted" data-testid="sheet-note">{{ n }}</div>{% endfor %}</td>
          <td class="dj-noprint dj-entry-cell">
            {% if r.form %}
            <div class="dj-entry">
              <div class="form-check m-0">
                <input class="form-check-input" type="checkbox" name="{{ r.form.prefix }}-pick" id="id_{{ r.form.prefix }}-pick"{% if r.form.picked or r.member.pk in ticked %} checked{% endif %} data-testid="pick">
                <label class="form-check-label small" for="id_{{ r.form.prefix }}-pick">{% blocktranslate with name=r.member.name %}登记 {{ name }}{% endblocktranslate %}</label>
              </div>
              <label class="visually-hidden" for="{{ r.form.amount.id_for_label }}">{{ l_amount }}</label>
              <span class="dj-entry-amount">{{ r.form.amount }}</span>
              <label class="visually-hidden" for="{{ r.form.method.id_for_label }}">{{ l_method }}</label>
              <span class="dj-entry-method">{{ r.form.method }}</span>
              <label class="visually-hidden" for="{{ r.form.paid_on.id_for_label }}">{{ l_date }}</label>
              <span class="dj-entry-date">{{ r.form.paid_on }}</span>{{ r.form.additional }}
            </div>
            {% if r.form.picked and r.form.errors %}<ul class="list-unstyled small text-danger mb-0 mt-1 dj-row-errors" data-testid="row-errors">{% for field, errs in r.form.errors.items %}{% for e in errs %}<li>{% if field == 'paid_on' %}{% translate "缴纳日期" %}：{% elif field == 'method' %}{% translate "缴纳方式" %}：{% endif %}{{ e }}</li>{% endfor %}{% endfor %}</ul>{% endif %}
            {% elif not r.row %}<a class="btn btn-outline-secondary btn-sm" href="{% url 'dues:member' r.member.pk %}?year={{ month.year }}#declare-base" data-testid="declare-link">{% translate "申报缴费基数" %}</a>{% endif %}
          </td>
        </tr>
        {% endfor %}"""
TAG = "{% load dues_tags %}{% sheet_rows rows org month ticked %}"

MONTH = dt.date(2026, 12, 1)
BRANCH = SimpleNamespace(pk=7, name="第一支部")
GROUP = SimpleNamespace(pk=9, name="第一党小组 <东区>")


def _member(pk: int, name: str, org=BRANCH):
    return SimpleNamespace(pk=pk, name=name, org_id=org.pk, org=org)


def _ledger(
    member, status, *, base=Decimal("8000.00"), rate=Decimal("0.01"), due="80.00", paid="0.00", cat="active"
):
    return LedgerRow(
        member.pk, member.name, member.org_id, "", MONTH, cat, base, rate, Decimal(due), Decimal(paid), status
    )


def _form(member, data=None, **initial):
    initial = {"amount": Decimal("80.00"), "method": "cash", "paid_on": MONTH, "additional": False, **initial}
    return PaymentRowForm(data, prefix=f"p{member.pk}", initial=initial)


def _rows():
    paid = _member(1, "王一")
    partial = _member(2, "李二 & <b>三</b>", GROUP)
    unpaid = _member(3, "张三")
    exempt = _member(4, "赵四")
    nobase = _member(5, 'O\'Brien "钱五"')
    refused = _member(6, "孙六")
    other = _member(8, "周八")
    rows = [
        SheetRow(paid, _ledger(paid, "paid", paid="80.00"), ["预交 2026-12 至 2027-03", "补交 <2026-10>"]),
        SheetRow(partial, _ledger(partial, "partial", paid="30.50", rate=Decimal("0.005"), cat="retired")),
        SheetRow(unpaid, _ledger(unpaid, "unpaid", base=None, rate=None, due="2.00", cat="student")),
        SheetRow(exempt, _ledger(exempt, "exempt", due="0.00")),
        SheetRow(nobase, None),
        SheetRow(refused, _ledger(refused, "unpaid")),
        SheetRow(other, _ledger(other, "unpaid")),
    ]
    rows[1].form = _form(partial, amount=Decimal("49.50"), additional=True)
    rows[2].form = _form(unpaid)
    rows[5].form = _form(  # ticked, with a bad amount, a method that is not one, no date: refused on its row
        refused, {"p6-pick": "on", "p6-amount": "abc", "p6-method": "gold", "p6-paid_on": ""}
    )
    rows[6].form = _form(other, {"p8-amount": "abc"})  # bound but not ticked: no errors shown
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("ticked", [set(), {3}, {2, 3, 6, 8}])
def test_rows_are_the_template_loops_markup(language, ticked):
    context = {"rows": _rows(), "org": BRANCH, "month": MONTH, "ticked": ticked}
    django = engines["django"]
    with translation.override(language):
        expected = django.from_string(REFERENCE).render(context)
        context["rows"] = _rows()  # fresh forms: the reference has validated them
        ours = django.from_string(TAG).render(context)
    assert ours == expected
    assert ours.count('data-testid="pick"') == 4
    assert ours.count('data-testid="row-errors"') == 1
    assert ours.count('data-testid="declare-link"') == 1 and "/dues/member/5/?year=2026#declare-base" in ours
    assert "李二 &amp; &lt;b&gt;三&lt;/b&gt;" in ours and "<b>" not in ours
    assert "第一党小组 &lt;东区&gt;" in ours


def test_no_rows_no_markup():
    assert sheet_rows([], BRANCH, MONTH, set()) == ""
