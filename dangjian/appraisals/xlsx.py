"""The summary of a campaign as a workbook: one row per secretary with the day of the report (述职日期), per 测评
item the number of each rating and the mean points, and the 综合 score — through `selectors.results`, so nothing
before the campaign closes and no per-person figure below the ballots' threshold (the total is said above the
table). Nothing per voter exists to write. Every column has a width fitting its header."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dangjian.appraisals.choices import RATING_ORDER, Rating, State
from dangjian.appraisals.models import Campaign
from dangjian.appraisals.selectors import Results, plain, results, subjects
from dangjian.core import xlsx
from dangjian.core.choices import choice_label


def note(found: Results) -> str:
    if found.shown:
        return _("测评票共%(n)s张（网上%(online)s张，纸质%(paper)s张）。") % {
            "n": found.ballots,
            "online": found.online,
            "paper": found.paper,
        }
    if not found.closed:
        return _("测评尚未结束，不显示测评结果；已收测评票%(n)s张。") % {"n": found.ballots}
    return _("测评票共%(n)s张，少于%(threshold)s张，不显示每名书记的测评结果。") % {
        "n": found.ballots,
        "threshold": found.threshold,
    }


def summary_tables(c: Campaign) -> tuple[list[xlsx.Table], int]:
    people = subjects(c)
    found = results(c, people)
    items = list(c.items.all())
    header: list[str] = [_("组织"), _("书记"), _("述职日期")]
    widths: list[int] = [24, 10, 12]
    for i in items:
        # "履行第一责任人职责·较好": about two characters' width per Chinese character, a number under it
        widths += [min(max(2 * len(i.name) + 6, 10), 30)] * len(RATING_ORDER) + [
            min(max(2 * len(i.name) + 8, 12), 32)
        ]
        header += [f"{i.name}·{Rating(r).label}" for r in RATING_ORDER] + [
            _("%(item)s平均分") % {"item": i.name}
        ]
    header += [_("综合得分"), _("述职报告")]
    widths += [10, 10]
    shown = {row.subject.pk: row for row in found.rows}
    rows = []
    for s in people:
        line: list = [s.org.name, s.secretary.name, s.reported_on]
        row = shown.get(s.pk)
        for n, _i in enumerate(items):
            if row is None:
                line += [None] * (len(RATING_ORDER) + 1)
                continue
            f = row.items[n]
            mean = next((m for name, _w, m in row.score.terms if name == f.item.name), None)
            line += [*f.ordered, float(mean) if mean is not None else None]
        line.append(float(row.score.value) if row and row.score.value is not None else None)
        line.append(_("已上传") if s.report else _("未上传"))
        rows.append(line)
    above = (
        c.title,
        _("组织单位：%(owner)s；述职年度：%(year)s；状态：%(state)s")
        % {"owner": c.owner.name, "year": c.report_year, "state": choice_label(State, c.state)},
        _("权重：%(weights)s") % {"weights": "，".join(f"{i.name} {plain(i.weight)}" for i in items)},
        note(found),
    )
    return [
        xlsx.Table(_("述职评议结果"), header=tuple(header), rows=rows, above=above, widths=tuple(widths))
    ], len(rows)
