"""Arguments shared by the `dangjian` report commands: a year (`--year YYYY`) and a subtree (`--org CODE`), each
refused with a Chinese message and exit code 2; and the shape of the status/results commands of a year's
campaigns (`StatusResultsCommand`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from dangjian.core import tables
from dangjian.core.downloads import record_export
from dangjian.core.formfields import as_id
from dangjian.orgs.models import Org


def argument_error(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def year_argument(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise argument_error(f"年度“{value}”无效，应为四位数字，如 2026。") from None
    if not 1990 <= year <= 2999:
        raise argument_error(f"年度“{year}”超出范围。")
    return year


def org_subtree(code: str | None) -> QuerySet[Org]:
    """Every organisation, or the one with 组织编码 `code` and its subtree."""
    orgs = Org.objects.all()
    if code:
        root = Org.objects.filter(code=code).first()
        if root is None:
            raise argument_error(f"组织编码“{code}”不存在。")
        orgs = orgs.filter(path__startswith=root.path)
    return orgs


SYSTEM_NOTE = "以系统身份运行（不限管理范围），与其他管理命令相同。"


class StatusResultsCommand(BaseCommand):
    """The shape of the commands of a year's campaigns (民主评议, 述职评议): `status --year Y [--org CODE]
    [--format table|json]` lists them in a subtree, `results ID --format json|xlsx [--output FILE]` gives one's
    results (JSON to stdout or the file; xlsx needs --output and is recorded as an export). A subclass names its
    texts and supplies the reads; bad arguments, an unknown id or xlsx without --output exit 2, nothing written."""

    noun: str  # "民主评议", in the refusal of an unknown id
    id_metavar: str
    status_help: str
    results_help: str
    year_help = "年度，如 2026"
    org_help = "组织编码：只含该组织及其下级组织"
    headers: tuple[str, ...]
    export_what: str  # the export's name in the audit trail
    export_type: str  # its object type
    row_noun: str  # "名党员": what the workbook's rows are

    def status_items(self, orgs: QuerySet[Org], year: int) -> list[dict]:
        raise NotImplementedError

    def table_rows(self, items: list[dict]) -> list[list[str]]:
        raise NotImplementedError

    def find(self, pk: int) -> Any:
        raise NotImplementedError

    def results_json(self, obj) -> dict:
        raise NotImplementedError

    def write_xlsx(self, obj, data: dict, output: str) -> int:
        """Writes the workbook; returns its number of rows (of `row_noun`)."""
        raise NotImplementedError

    def export_org(self, obj) -> Org:
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{status,results}")
        sub.required = True
        s = sub.add_parser("status", help=self.status_help)
        s.add_argument("--year", required=True, metavar="YYYY", help=self.year_help)
        s.add_argument("--org", metavar="CODE", help=self.org_help)
        s.add_argument("--format", choices=["table", "json"], default="table")
        r = sub.add_parser("results", help=self.results_help + SYSTEM_NOTE)
        r.add_argument("id", metavar=self.id_metavar, help=f"{self.noun}的编号（页面地址中的数字）")
        r.add_argument("--format", choices=["json", "xlsx"], required=True)
        r.add_argument("--output", metavar="FILE", help="输出文件（xlsx 格式必填；json 默认输出到屏幕）")

    def handle(self, *args, **options) -> None:
        if options["action"] == "results":
            self._results(options)
            return
        items = self.status_items(org_subtree(options["org"]), year_argument(options["year"]))
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_table(self.headers, self.table_rows(items)), ending="")

    def _results(self, options) -> None:
        fmt, output, raw = options["format"], options["output"], options["id"]
        if fmt == "xlsx" and not output:
            raise argument_error("xlsx 格式须用 --output 指定输出文件。")
        pk = as_id(raw)
        obj = self.find(pk) if pk is not None else None
        if obj is None:
            raise argument_error(f"编号为“{raw}”的{self.noun}不存在。")
        data = self.results_json(obj)
        if fmt == "json":
            tables.write_json(data, output, self.stdout)
            return
        n = self.write_xlsx(obj, data, output)
        record_export(
            actor=None,
            what=self.export_what,
            object_type=self.export_type,
            org_path=self.export_org(obj).path,
            scope=f"{obj}（命令行，{output}）",
            rows=n,
        )
        self.stderr.write(f"已写入 {output}（{n} {self.row_noun}）。")
