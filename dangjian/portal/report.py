"""The data part of a secretary's 述职报告 (抓基层党建工作述职, 实施意见（十八）): the year's figures of the
organisation's subtree, read from the records the work produced — 党员 and organisations, meetings held, the
kept compliance results and how they changed during the year, 党费 collected, 发展党员, 谈心谈话 — as a Word
document the secretary completes with the narrative. Nothing in it is typed in by anyone: record once, derive
everything. A fixed number of queries whatever the size of the subtree."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _

from dangjian.compliance.models import KeptResult, ResultChange
from dangjian.compliance.periods import clamp_as_of
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core.choices import choice_label
from dangjian.core.i18n import enumeration
from dangjian.dues.ledger import collection_days, due_on
from dangjian.dues.selectors import summary_lines
from dangjian.meetings.choices import MeetingType
from dangjian.meetings.models import MeetingKind
from dangjian.members.choices import Category
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.pipeline.choices import Stage
from dangjian.pipeline.models import DevelopmentCase
from dangjian.talks.models import Talk

STATUS_ORDER = ("pass", "fail", "pending", "not_applicable")
CHANGES_LISTED = 20


@dataclass
class RuleLine:
    rule_id: str
    title: str
    counts: Counter = field(default_factory=Counter)  # status → organisations
    missing: int = 0  # periods missing, summed over the failing organisations


@dataclass(frozen=True)
class ChangeLine:
    day: dt.date
    org_name: str
    title: str
    old: str
    new: str


@dataclass
class ReportData:
    org: Org
    year: int
    as_of: dt.date
    orgs: Counter  # type → number in the subtree (active)
    members: Counter  # category → members on the roll
    meetings: list[tuple[str, int]]  # type label → meetings held
    rules: list[RuleLine]
    evaluated: bool  # kept results exist for the year
    put_right: int
    newly_failing: int
    changes: list[ChangeLine]
    dues_due: Decimal  # of the months whose 党费集中交纳日 had passed on the report's day (`dues_totals`)
    dues_paid: Decimal
    joined: int  # 发展党员: admitted in the year
    cases: list[tuple[str, int]]  # open development cases by stage
    talks: int
    dues_day: dt.date | None = None  # the report's day, when some month of the year was not yet due on it
    dues_not_due: list[int] = field(default_factory=list)  # those months (1–12), left out of the figures

    @property
    def dues_rate(self) -> Decimal | None:
        return (self.dues_paid * 100 / self.dues_due).quantize(Decimal("0.1")) if self.dues_due else None

    @property
    def failing(self) -> int:
        """The kept results failing as of the report's day."""
        return sum(line.counts.get("fail", 0) for line in self.rules)


def dues_totals(org: Org, year: int, day: dt.date) -> tuple[Decimal, Decimal, list[int]]:
    """应交 and 实交 of `year` of `org`'s subtree, as the year summary sums them per branch, counting only the months
    already due on `day` — past the branch's 党费集中交纳日 (the month's last day when it has set none), as the
    ledger pages decide 待交 against 未交 — and the months of the year so far left out because some branch's
    交纳日 had not passed (two queries beside the summary's)."""
    lines = [
        line
        for line in summary_lines(Member.objects.filter(org__path__startswith=org.path), year)
        if not line.is_unit and line.org is not None
    ]
    days = collection_days({line.org.pk for line in lines})
    upto = 12 if year < day.year else (day.month if year == day.year else 0)
    due = paid = Decimal(0)
    not_due: set[int] = set()
    for line in lines:
        for index, (d, p) in enumerate(line.months):
            if day > due_on(dt.date(year, index + 1, 1), days.get(line.org.pk)):
                due += d
                paid += p
            elif index < upto:
                not_due.add(index + 1)
    return due, paid, sorted(not_due)


def report_data(org: Org, year: int, *, on: dt.date | None = None) -> ReportData:
    as_of = clamp_as_of(year, on or dt.date.today())
    subtree = Org.objects.filter(path__startswith=org.path)
    ruleset = load_ruleset()
    titles = {rule.id: rule.title for rule in ruleset.rules}
    orgs = Counter(dict(subtree.active(as_of).values_list("type").annotate(n=Count("pk")).order_by()))
    members = Counter(
        dict(
            Member.objects.on_roll(as_of)
            .filter(org__path__startswith=org.path)
            .values_list("category")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    held = (
        MeetingKind.objects.filter(
            meeting__org__path__startswith=org.path, meeting__date__year=year, meeting__date__lte=as_of
        )
        .values_list("type")
        .annotate(n=Count("meeting", distinct=True))
        .order_by()
    )
    by_type = dict(held)
    meetings = [(str(label), by_type[value]) for value, label in MeetingType.choices if by_type.get(value)]
    kept = KeptResult.objects.filter(version=ruleset.version, year=year, org__path__startswith=org.path)
    lines: dict[str, RuleLine] = {}
    for rule_id, status, missing in kept.values_list("rule_id", "status", "missing"):
        line = lines.get(rule_id) or lines.setdefault(
            rule_id, RuleLine(rule_id, titles.get(rule_id, rule_id))
        )
        line.counts[status] += 1
        if status == "fail":
            line.missing += len(missing or ())
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    changes = ResultChange.objects.filter(
        version=ruleset.version, year=year, org__path__startswith=org.path, as_of__lte=as_of
    ).exclude(old_status="")
    counted = Counter(
        "right" if new == "pass" else "fail" if new == "fail" else ""
        for old, new in changes.values_list("old_status", "new_status")
        if old == "fail" or new == "fail"
    )
    listed = [
        ChangeLine(day, org_name, titles.get(rule_id, rule_id), old, new)
        for day, org_name, rule_id, old, new in changes.filter(new_status__in=("pass", "fail"))
        .order_by("-as_of", "-id")
        .values_list("as_of", "org__name", "rule_id", "old_status", "new_status")[:CHANGES_LISTED]
    ]
    day = on or dt.date.today()
    due, paid, not_due = dues_totals(org, year, day)
    cases = dict(
        DevelopmentCase.objects.filter(org__path__startswith=org.path)
        .active()
        .values_list("stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return ReportData(
        org=org,
        year=year,
        as_of=as_of,
        orgs=orgs,
        members=members,
        meetings=meetings,
        rules=sorted(lines.values(), key=lambda line: order.get(line.rule_id, len(order))),
        evaluated=bool(lines),
        put_right=counted["right"],
        newly_failing=counted["fail"],
        changes=listed,
        dues_due=due,
        dues_paid=paid,
        dues_day=day if not_due else None,
        dues_not_due=not_due,
        joined=Member.objects.filter(
            org__path__startswith=org.path, joined_on__year=year, joined_on__lte=as_of
        ).count(),
        cases=[(str(label), cases[value]) for value, label in Stage.choices if cases.get(value)],
        talks=Talk.objects.filter(org__path__startswith=org.path, date__year=year, date__lte=as_of).count(),
    )


# --- the document ---------------------------------------------------------------------------------------


def _status(value: str) -> str:
    return {
        "pass": _("符合"),
        "fail": _("不符合"),
        "pending": _("待定"),
        "not_applicable": _("不适用"),
        "": _("首次评估"),
    }.get(value, value)


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text


def report_docx(data: ReportData) -> bytes:
    """The report's data part as a .docx (python-docx): headings, short paragraphs and tables, in the active
    language, with the East Asian font set so that Word shows the Chinese in 宋体."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    doc.add_heading(
        _("%(org)s %(year)s年度抓基层党建工作述职报告（数据部分）")
        % {"org": data.org.name, "year": data.year},
        0,
    )
    doc.add_paragraph(
        _(
            "以下数据由平台根据%(year)s年的工作记录自动生成，截至%(day)s；请在此基础上补充工作情况、存在问题和下一步打算，"
            "完成后上传定稿。"
        )
        % {"year": data.year, "day": f"{data.as_of:%Y-%m-%d}"}
    )

    doc.add_heading(_("一、组织和党员"), 1)
    kinds = _("、").join(
        _("%(type)s%(n)s个") % {"type": choice_label(OrgType, t), "n": n}
        for t, n in ((value, data.orgs.get(value, 0)) for value in OrgType.values)
        if n
    )
    doc.add_paragraph(
        _("组织：%(kinds)s。党员%(total)s名，其中正式党员%(formal)s名、预备党员%(prob)s名。")
        % {
            "kinds": kinds or "—",
            "total": sum(data.members.values()),
            "formal": data.members.get(Category.FORMAL, 0),
            "prob": data.members.get(Category.PROBATIONARY, 0),
        }
    )

    doc.add_heading(_("二、三会一课和组织生活"), 1)
    _table(doc, [_("类型"), _("开展次数")], [[label, str(n)] for label, n in data.meetings] or [["—", "0"]])

    doc.add_heading(_("三、合规检查"), 1)
    if data.evaluated:
        _table(
            doc,
            [_("规则"), _("符合"), _("不符合"), _("待定"), _("不适用"), _("缺少期次")],
            [
                [line.title, *(str(line.counts.get(s, 0)) for s in STATUS_ORDER), str(line.missing)]
                for line in data.rules
            ],
        )
        # the changes the kept results recorded after their first evaluation of the year, beside where they stand
        # now: "0 put right, 0 newly failing" alone read as if nothing failed
        doc.add_paragraph(
            _(
                "截至%(day)s不符合%(open)s项次。检查结果首次保存以来，本年度整改到位%(right)s项次，"
                "新出现不符合%(fail)s项次。"
            )
            % {
                "day": f"{data.as_of:%Y-%m-%d}",
                "open": data.failing,
                "right": data.put_right,
                "fail": data.newly_failing,
            }
        )
        if data.changes:
            _table(
                doc,
                [_("日期"), _("组织"), _("规则"), _("变化")],
                [
                    [f"{c.day:%Y-%m-%d}", c.org_name, c.title, f"{_status(c.old)} → {_status(c.new)}"]
                    for c in data.changes
                ],
            )
    else:
        doc.add_paragraph(_("本年度尚无保存的检查结果。"))

    doc.add_heading(_("四、党费收缴"), 1)
    rate = data.dues_rate
    figures = {
        "due": f"{data.dues_due:.2f}",
        "paid": f"{data.dues_paid:.2f}",
        "rate": f"{rate}%" if rate is not None else "—",
    }
    if data.dues_not_due and data.dues_day is not None:
        # a month whose 集中交纳日 has not come is 待交, not owed: the figures leave it out and say so
        months = enumeration([_("%(m)s月") % {"m": m} for m in data.dues_not_due])
        doc.add_paragraph(
            _(
                "截至%(day)s，已过党费集中交纳日的月份应交%(due)s元，实交%(paid)s元，交纳率%(rate)s"
                "（不含未到集中交纳日的%(months)s）。"
            )
            % (figures | {"day": f"{data.dues_day:%Y-%m-%d}", "months": months})
        )
    else:
        doc.add_paragraph(_("应交%(due)s元，实交%(paid)s元，交纳率%(rate)s。") % figures)

    doc.add_heading(_("五、发展党员"), 1)
    doc.add_paragraph(_("本年度发展党员%(n)s名。") % {"n": data.joined})
    if data.cases:
        _table(doc, [_("培养阶段"), _("人数")], [[label, str(n)] for label, n in data.cases])

    doc.add_heading(_("六、谈心谈话"), 1)
    doc.add_paragraph(_("本年度登记谈心谈话%(n)s次。") % {"n": data.talks})

    doc.add_heading(_("七、工作情况、存在问题和下一步打算（由书记填写）"), 1)
    doc.add_paragraph("")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
