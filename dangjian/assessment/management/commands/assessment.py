"""`dangjian assessment score --year Y [--org CODE] [--format table|json|xlsx] [--output FILE]`: the year's
assessment under its scheme (`rules/assessment-YYYY.yaml`) — per unit the score of every indicator, the total and
the grade; per 党支部 its score and tier (分类定级). With --org, the part of that organisation: its unit when it is
a unit's 党组 or 机关党委, else the branches of its subtree (and the unit they belong to).

`dangjian assessment explain --year Y --org CODE`: how each score of the organisation's unit (or of the branch)
was reached — the method, the rule results and the arithmetic — in words: each organisation by its name and
组织编码, each rule by its title with its id in brackets (for whoever maintains the rulebook), the result as the
pages say it (不符合) with the periods missing ("2026年第1季度"). The JSON of `score` keeps the ids and codes.

Indicators scored by the assessors have no score until they are scored (null in JSON); a unit's grade is given
once every unit is completely scored. Runs as the system (full scope), like every management command. Exit 2 for
bad arguments, a year without a valid scheme or xlsx without --output (nothing written)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from dangjian.assessment.export import METHOD_LABELS, tables
from dangjian.assessment.scheme import SchemeError
from dangjian.assessment.selectors import current_json, part_of, rule_titles, unit_names
from dangjian.compliance.selectors import STATUS_TEXT
from dangjian.compliance.workbench import period_text
from dangjian.core import tables as text_tables
from dangjian.core import xlsx
from dangjian.core.downloads import record_export
from dangjian.orgs.commands import year_argument
from dangjian.orgs.models import Org

FROZEN_NOTE = "；已审定，得分不再随记录变化"
SYSTEM_NOTE = "以系统身份运行（不限管理范围），与其他管理命令相同。"
UNIT_HEADERS = ("单位", "组织编码", "得分", "等次", "计分完成")
BRANCH_HEADERS = ("组织编码", "党支部", "得分", "分类定级")


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def part_for(data: dict, code: str | None) -> dict:
    """The JSON of the assessment, or of the part of the organisation with 组织编码 `code`."""
    if not code:
        return data
    org = Org.objects.filter(code=code).first()
    if org is None:
        raise _fail(f"组织编码“{code}”不存在。")
    part = part_of(data, org)
    if not part["units"] and not part["branches"]:
        raise _fail(f"组织“{org.name}”（{code}）不属于任何参加考核的单位。")
    return part


class Command(BaseCommand):
    help = (
        "机关党建考核：按年度考核方案计分（单位得分、等次，党支部分类定级），或说明某组织各项得分的来历。"
        + SYSTEM_NOTE
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{score,explain}")
        sub.required = True
        s = sub.add_parser("score", help="各单位各指标得分、总分和等次，各党支部得分和分类定级")
        s.add_argument("--year", required=True, metavar="YYYY", help="考核年度，如 2026")
        s.add_argument("--org", metavar="CODE", help="组织编码：只含该组织所在单位或其下党支部")
        s.add_argument("--format", choices=["table", "json", "xlsx"], default="table")
        s.add_argument("--output", metavar="FILE", help="输出文件（xlsx 格式必填；json 默认输出到屏幕）")
        e = sub.add_parser("explain", help="逐项说明某单位（或党支部）得分的依据和计算过程")
        e.add_argument("--year", required=True, metavar="YYYY", help="考核年度，如 2026")
        e.add_argument("--org", required=True, metavar="CODE", help="组织编码：单位的党组、机关党委或党支部")

    def handle(self, *args, **options) -> None:
        year = year_argument(options["year"])
        fmt = options.get("format", "table")
        output = options.get("output")
        if fmt == "xlsx" and not output:
            raise _fail("xlsx 格式须用 --output 指定输出文件。")
        try:
            data = part_for(current_json(year), options["org"])
        except SchemeError as exc:
            raise _fail(exc.message) from exc
        if options["action"] == "explain":
            self.stdout.write(explain_text(data), ending="")
        elif fmt == "json":
            text_tables.write_json(data, output, self.stdout)
        elif fmt == "xlsx":
            xlsx.save_tables(tables(data, unit_names(data)), output)
            record_export(
                actor=None,
                what="机关党建考核结果",
                object_type="assessment.scheme",
                org_path="",
                scope=f"{year}年度（命令行，{output}）",
                rows=len(data["units"]) + len(data["branches"]),
            )
            self.stderr.write(
                f"已写入 {output}（{len(data['units'])} 个单位，{len(data['branches'])} 个党支部）。"
            )
        else:
            self.stdout.write(score_text(data), ending="")


def score_text(data: dict) -> str:
    units = [
        [u["name"], "、".join(u["codes"]), u["total"], u["grade"] or "—", "是" if u["complete"] else "否"]
        for u in data["units"]
    ]
    branches = [[b["org"], b["name"], b["score"] or "—", b["tier"] or "未评估"] for b in data["branches"]]
    head = f"{data['scheme']['title']}（第 {data['scheme']['version']} 版）" + FROZEN_NOTE * bool(
        data.get("frozen")
    )
    return "\n".join(
        [
            head,
            "",
            text_tables.format_table(UNIT_HEADERS, units),
            text_tables.format_table(BRANCH_HEADERS, branches),
        ]
    )


def deduction_text(d: dict, titles: dict[str, str]) -> str:
    """A deduction in words: "甲一支部（A1）：“每月召开支部委员会”（MTG-COMMITTEE-MONTHLY）不符合，涉及 2026年3月、
    2026年4月，扣 1.00" (a rule the rulebook no longer holds: its id alone)."""
    title = titles.get(d["rule"])
    rule = f"“{title}”（{d['rule']}）" if title else d["rule"]
    missing = "、".join(period_text(str(m)) for m in d["missing"])
    return (
        f"{d['org_name']}（{d['org']}）：{rule}{STATUS_TEXT['fail']}"
        + (f"，涉及 {missing}" if missing else "")
        + f"，扣 {d['points']}"
    )


def explain_text(data: dict) -> str:
    with translation.override("zh-hans"):  # Chinese like the rest of the command's text
        return _explain_text(data, rule_titles(data.get("rulebook_version")))


def _explain_text(data: dict, titles: dict[str, str]) -> str:
    lines = [
        f"{data['scheme']['title']}（第 {data['scheme']['version']} 版）；"
        f"检查结果：规则库第 {data['rulebook_version']} 版，评估日期 {data['as_of'] or '—'}"
        + FROZEN_NOTE
        * bool(data.get("frozen")),
    ]
    for u in data["units"]:
        state = "" if u["complete"] else "（尚有考评人员未评分的指标）"
        named = f"{u['name']}（{'、'.join(u['codes'])}）" if u["codes"] else u["name"]
        lines += ["", f"【{named}】总分 {u['total']}，等次 {u['grade'] or '—'}{state}"]
        for i in u["indicators"]:
            if i["method"] == "penalty":  # a deduction, its points a cap
                score = f"{'未评分' if i['score'] is None else '扣 ' + i['score']}（最多扣 {i['points']}）"
            elif i["method"] == "bonus":
                score = f"{'未评分' if i['score'] is None else '加 ' + i['score']}（最多加 {i['points']}）"
            else:
                score = "未评分" if i["score"] is None else f"{i['score']} / {i['points']}"
            lines.append(f"  {i['id']} {i['group']}·{i['title']}（{METHOD_LABELS[i['method']]}）：{score}")
            lines.append(f"    {i['explain']}")
            lines += [f"    - {deduction_text(d, titles)}" for d in i["deductions"]]
    for b in data["branches"]:
        lines += [
            "",
            f"【{b['name']}（{b['org']}）】得分 {b['score'] or '—'}，分类定级：{b['tier'] or '未评估'}",
        ]
        lines += [f"  {r}" for r in b["reasons"]]  # "未评为先进：得分 88.00 低于 95 分"
    return "\n".join(lines) + "\n"
