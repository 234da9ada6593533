"""The 党费 status badge as a filter: the sheet shows one per member, and an `{% include %}` per row cost more
than the rest of the row's cells together."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from dangjian.core.escape import esc
from dangjian.dues.choices import LedgerStatus

register = template.Library()

_BADGES = {
    LedgerStatus.PAID.value: ("paid", gettext_noop("已交清")),
    LedgerStatus.PARTIAL.value: ("partial", gettext_noop("部分交纳")),
    LedgerStatus.UNPAID.value: ("unpaid", gettext_noop("未交")),
    LedgerStatus.EXEMPT.value: ("exempt", gettext_noop("免交")),
}
_NO_BASE = ("nobase", gettext_noop("未申报缴费基数"))
# an unpaid month whose 党费集中交纳日 has not passed (views.PENDING): neutral, like 未申报缴费基数 (its grey), not red
_BADGES["pending"] = ("pending dj-ds-nobase", gettext_noop("待交"))


@register.filter
def dues_status(status: str) -> SafeString:
    """The badge of a ledger status (paid | partial | unpaid | exempt, or pending: 待交); anything else: 未申报缴费基数."""
    css, label = _BADGES.get(status, _NO_BASE)
    return format_html('<span class="badge dj-ds dj-ds-{}">{}</span>', css, gettext(label))


_ROW = (
    '\n        <tr data-member="{pk}" data-status="{status}" class="{row_class}">'
    '\n          <th scope="row" class="dj-name-cell fw-normal"><a href="{url}?year={year}" data-testid="member-link">'
    "{name}</a>{unit}</th>"
    '\n          <td class="dj-cat-cell" data-label="{l_cat}">{category}</td>'
    '\n          <td class="text-end dj-num dj-base-cell" data-label="{l_base}">{base}</td>'
    '\n          <td class="text-end dj-num dj-rate-cell" data-label="{l_rate}">{rate}</td>'
    '\n          <td class="text-end dj-num dj-due-cell" data-label="{l_due}">{due}</td>'
    '\n          <td class="text-end dj-num dj-paid-cell" data-label="{l_paid}">{paid}</td>'
    '\n          <td class="dj-status-cell">{badge}{notes}</td>'
    '\n          <td class="dj-noprint dj-entry-cell">'
    "\n            {entry}"
    "\n          </td>"
    "\n        </tr>"
    "\n        "
)
_ENTRY = (
    '\n            <div class="dj-entry">'
    '\n              <div class="form-check m-0">'
    '\n                <input class="form-check-input" type="checkbox" name="{prefix}-pick" id="id_{prefix}-pick"{checked}'
    ' data-testid="pick">'
    '\n                <label class="form-check-label small" for="id_{prefix}-pick">{pick_label}</label>'
    "\n              </div>"
    '\n              <label class="visually-hidden" for="{amount_id}">{l_amount}</label>'
    '\n              <span class="dj-entry-amount">{amount}</span>'
    '\n              <label class="visually-hidden" for="{method_id}">{l_method}</label>'
    '\n              <span class="dj-entry-method">{method}</span>'
    '\n              <label class="visually-hidden" for="{date_id}">{l_date}</label>'
    '\n              <span class="dj-entry-date">{paid_on}</span>{additional}'
    "\n            </div>"
    "\n            {errors}"
    "\n            "
)


_DECLARE = (
    '<a class="btn btn-outline-secondary btn-sm" href="{url}?year={year}#declare-base" data-testid="declare-link">'
    "{label}</a>"
)


@register.simple_tag
def sheet_rows(rows, org, month, ticked) -> SafeString:
    """The rows of the 党费收缴表 (`dues/sheet.html`), written here rather than as a `{% for %}` in the template:
    a branch's sheet has 40–100 rows of a dozen cells and four inputs each, and the template engine's lookups
    and escaping took as long as the rest of the page together. The markup is the template's, to the character;
    every value is escaped (`esc`) unless it is already safe markup (the badge, the inputs, the amounts)."""
    labels = {
        "l_cat": esc(gettext("类别")),
        "l_base": esc(gettext("基数")),
        "l_rate": esc(gettext("比例")),
        "l_due": esc(gettext("应交")),
        "l_paid": esc(gettext("实交")),
    }
    entry_labels = {
        "l_amount": esc(gettext("金额")),
        "l_method": esc(gettext("缴纳方式")),
        "l_date": esc(gettext("缴纳日期")),
    }
    field_names = {"paid_on": entry_labels["l_date"] + "：", "method": entry_labels["l_method"] + "："}
    pick = gettext("登记 %(name)s")
    year = esc(month.year)
    declare = esc(gettext("申报缴费基数"))
    out = []
    for r in rows:
        member = r.member
        ledger = r.row
        form = getattr(r, "form", None)
        picked = form is not None and form.picked()
        failed = picked and bool(form.errors)
        url = esc(reverse("dues:member", args=[member.pk]))
        if form is not None:
            entry = _entry(form, member, picked, failed, ticked, pick, entry_labels, field_names)
        elif (
            ledger is None
        ):  # no base in force: nothing to record until one is declared (its form on the page)
            entry = _DECLARE.format(url=url, year=year, label=declare)
        else:
            entry = ""
        out.append(
            _ROW.format(
                pk=esc(member.pk),
                status=esc(r.status),
                row_class="dj-row-error" if failed else "",
                url=url,
                year=year,
                name=esc(member.name),
                unit=(
                    f'<div class="small dj-muted text-nowrap" title="{esc(member.org.name)}">'
                    f"{esc(_within(member.org.name, org.name))}</div>"
                    if member.org_id != org.pk
                    else ""
                ),
                category=esc(r.category_label or "—"),
                base=floatformat(ledger.base, 2) if ledger is not None and ledger.base is not None else "—",
                rate=esc(r.rate_label or "—"),
                due=floatformat(ledger.due, 2) if ledger else "—",
                paid=floatformat(ledger.paid, 2) if ledger else "—",
                badge=dues_status(r.status),
                notes="".join(
                    f'<div class="small dj-muted" data-testid="sheet-note">{esc(n)}</div>' for n in r.notes
                ),
                entry=entry,
                **labels,
            )
        )
    # every value in it escaped by esc, or safe markup made by Django (the inputs) or by the filters
    return mark_safe("".join(out))


@register.filter(name="within")
def _within(name: str, branch: str) -> str:
    """A 党小组's name under its branch's heading: "第一党小组" for "办公室党支部第一党小组" (the whole name wrapped over four
    lines of the name column on a laptop); the whole name when it does not begin with the branch's."""
    return name[len(branch) :] if name.startswith(branch) and len(name) > len(branch) else name


def _entry(form, member, picked, failed, ticked, pick, labels, field_names) -> str:
    """The entry cell of an open row: the tick, the amount, the method, the date; the row's errors when it was
    ticked and refused."""
    errors = ""
    if failed:
        items = "".join(
            f"<li>{field_names.get(field, '')}{esc(e)}</li>"
            for field, errs in form.errors.items()
            for e in errs
        )
        errors = f'<ul class="list-unstyled small text-danger mb-0 mt-1 dj-row-errors" data-testid="row-errors">{items}</ul>'
    amount, method, paid_on = form["amount"], form["method"], form["paid_on"]
    return _ENTRY.format(
        prefix=esc(form.prefix),
        checked=" checked" if picked or member.pk in ticked else "",
        pick_label=pick % {"name": esc(member.name)},
        amount_id=esc(amount.id_for_label),
        amount=esc(amount),
        method_id=esc(method.id_for_label),
        method=esc(method),
        date_id=esc(paid_on.id_for_label),
        paid_on=esc(paid_on),
        additional=esc(form["additional"]),
        errors=errors,
        **labels,
    )
