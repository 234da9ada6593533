"""`dangjian compliance --year Y [--as-of YYYY-MM-DD] [--org CODE] [--format table|json|xlsx]
[--output FILE] [--ruleset-version N]` and `dangjian compliance refresh [--year Y] [--org CODE]`.

The first evaluates the rulebook for year Y as of D (default today) over every organisation, or over the
organisation CODE and its subtree, and prints (or writes) the results. `refresh` re-evaluates and keeps the
results the pages read (compliance.kept): run it nightly, because time alone changes verdicts; without --year,
in the first months of a year (rules/workbench.yaml) it keeps the previous year too (as of its 31 December). Exit 0 on
success, 2 for bad arguments (unknown organisation, bad date, unknown ruleset version, xlsx without
--output).
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from dangjian.compliance import kept
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.export import STATUS_LABELS, write_xlsx
from dangjian.compliance.rulebook import RulebookError, load_ruleset
from dangjian.core import tables
from dangjian.core.downloads import record_export
from dangjian.orgs.models import Org


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def format_table(evaluation) -> str:
    """The ruleset, one line per result (rule, organisation code, status, what is missing), the totals."""
    rs, results = evaluation.ruleset, evaluation.results
    head = f"{rs.title}（{rs.id} 第{rs.version}版）  {evaluation.year}年  截至{evaluation.as_of:%Y-%m-%d}"
    rows = [["规则", "组织编码", "结果", "缺少"]]
    rows += [[r.rule.id, r.org.code, STATUS_LABELS[r.status], "、".join(r.missing)] for r in results]
    totals = "，".join(f"{label} {sum(r.status == s for r in results)}" for s, label in STATUS_LABELS.items())
    return "\n".join([head, "", *tables.align(rows), "", f"合计：{totals}"]) + "\n"


class Command(BaseCommand):
    help = "按规则库评估各组织某年度的合规情况（三会一课、组织设置、换届等）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            choices=["refresh"],
            help="refresh：重新评估并保存各页面读取的检查结果（建议每晚运行）",
        )
        parser.add_argument(
            "--year", type=int, help="评估年度，如 2026（refresh 默认今年，年初几个月同时刷新上一年度）"
        )
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="评估日期（默认今天；晚于年底按12月31日）")
        parser.add_argument("--org", metavar="CODE", help="组织编码：只评估该组织及其下级组织（默认全部）")
        parser.add_argument(
            "--format", choices=["table", "json", "xlsx"], default="table", help="输出格式（默认 table）"
        )
        parser.add_argument(
            "--output", metavar="FILE", help="输出文件（xlsx 格式必填；其他格式默认输出到屏幕）"
        )
        parser.add_argument("--ruleset-version", type=int, metavar="N", help="规则库版本（默认最新版本）")

    def handle(self, *args, **options) -> None:
        if options["action"] == "refresh":
            self._refresh(options)
            return
        year = options["year"]
        if year is None:
            raise _fail("请用 --year 指定评估年度（或用 refresh 刷新保存的结果）。")
        if not 1900 <= year <= 9999:
            raise _fail(f"年度“{year}”无效。")
        as_of = self._date(options["as_of"]) if options["as_of"] else dt.date.today()
        orgs = self._orgs(options["org"])
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise _fail("xlsx 格式须用 --output 指定输出文件。")
        try:
            ruleset = load_ruleset(options["ruleset_version"])
            evaluation = evaluate(orgs, year=year, as_of=as_of, ruleset=ruleset)
        except RulebookError as exc:
            raise _fail(exc.message) from exc
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        if fmt == "xlsx":
            write_xlsx(evaluation, output)
            root = Org.objects.filter(code=options["org"]).first() if options["org"] else None
            record_export(
                actor=None,
                what="合规检查结果",
                object_type="compliance.result",
                org_path=root.path if root else "",
                scope=f"{year}年度，{root.name if root else '全部组织'}（命令行，{output}）",
                rows=len(evaluation.results),
            )
            self.stderr.write(f"已写入 {output}（{len(evaluation.results)} 条结果）。")
            return
        text = tables.to_json(evaluation.to_json()) if fmt == "json" else format_table(evaluation)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")

    def _refresh(self, options) -> None:
        today = dt.date.today()
        year = options["year"]  # none: this year, and in its first months the previous one too (carryover)
        if year is not None and not 1900 <= year <= today.year:
            raise _fail(f"年度“{year}”无效（不能晚于今年）。")
        orgs = self._orgs(options["org"])
        started = time.monotonic()
        try:
            ruleset = load_ruleset(options["ruleset_version"])
            report = kept.refresh(orgs, on=today, year=year, ruleset=ruleset)
        except RulebookError as exc:
            raise _fail(exc.message) from exc
        years = [(year or today.year, report)]
        if report.previous is not None:
            years.append((today.year - 1, report.previous))
        for shown, done in years:
            self.stdout.write(
                f"已刷新 {done.orgs} 个组织 {shown} 年的 {done.results} 条检查结果（规则库第 {ruleset.version} 版）："
                f"新增 {done.created}，变化 {done.changed}，移除 {done.removed}；待办 {done.todos} 条；"
                f"用时 {time.monotonic() - started:.1f} 秒。"
            )

    def _date(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _fail(f"日期“{value}”无效，应为 YYYY-MM-DD。") from None

    def _orgs(self, code: str | None):
        if not code:
            return Org.objects.all()
        org = Org.objects.filter(code=code).first()
        if org is None:
            raise _fail(f"组织编码“{code}”不存在。")
        return Org.objects.subtree(org)
