"""`dangjian appraisals status --year Y [--org CODE] [--format table|json]`: the 述职评议 held in the year by the
工委 and the 党委 (of --org's subtree; default all) — state, dates, subjects, reports given and uploaded,
participants and ballots cast. Never a figure of the 测评. Three queries whatever the number of campaigns.

`dangjian appraisals results CAMPAIGN_ID --format json|xlsx [--output FILE]`: one campaign's results — the
campaign and per secretary the organisation, the report, and the distribution of 好/较好/一般/差 per item with
the 综合 score. The figures come from `selectors.results`, the read the campaign's page uses: per secretary only
once the campaign is closed and from `min_ballots_for_tallies` ballots, else null (the total number of ballots is
given once, with the campaign). Nothing per voter exists to show. JSON goes to stdout (or --output); xlsx needs
--output and is recorded as an export in the audit trail.

Both run as the system (full scope, like every management command). Exit 2 for bad arguments, an unknown
campaign or xlsx without --output (nothing written)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.appraisals.choices import State
from dangjian.appraisals.models import Campaign
from dangjian.appraisals.selectors import campaign_json, iso_day, results, status, subjects
from dangjian.appraisals.xlsx import summary_tables
from dangjian.core import tables, xlsx
from dangjian.core.choices import chinese_label
from dangjian.core.downloads import record_export
from dangjian.orgs.commands import org_subtree, year_argument

HEADERS = (
    "组织编码",
    "名称",
    "状态",
    "开始日期",
    "述职书记",
    "已述职",
    "已上传述职报告",
    "已投票",
    "测评人员",
    "纸质票",
)
SYSTEM_NOTE = "以系统身份运行（不限管理范围），与其他管理命令相同。"


def table_rows(items: list[dict]) -> list[list[str]]:
    return [
        [
            i["org"],
            i["title"],
            chinese_label(State, i["state"]),
            i["opened_on"],
            str(i["subjects"]),
            str(i["reported"]),
            str(i["reports_uploaded"]),
            str(i["voted"]),
            str(i["participants"]),
            str(i["paper_ballots"]),
        ]
        for i in items
    ]


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def results_json(c: Campaign) -> dict:
    """The campaign and its secretaries; the figures from `selectors.results` (null unless shown)."""
    people = subjects(c)
    found = results(c, people)
    shown = {row.subject.pk: row for row in found.rows}
    items = list(c.items.all())
    return {
        "campaign": {
            "id": c.pk,
            **campaign_json(c),
            "items": [{"name": i.name, "weight": str(i.weight), "overall": i.overall} for i in items],
            "ballots": found.ballots,
            "ballots_online": found.online,
            "ballots_paper": found.paper,
            "threshold": found.threshold,
            "tallies_shown": found.shown,
        },
        "subjects": [
            {
                "org": s.org.code,
                "name": s.org.name,
                "secretary": s.secretary.name,
                "reported_on": iso_day(s.reported_on),
                "report_uploaded_on": iso_day(s.report_uploaded_on),
                "tallies": ({f.item.name: f.counts for f in shown[s.pk].items} if s.pk in shown else None),
                "score": (
                    str(shown[s.pk].score.value)
                    if s.pk in shown and shown[s.pk].score.value is not None
                    else None
                ),
            }
            for s in people
        ],
    }


class Command(BaseCommand):
    help = "述职评议：列出某年度各组织的述职评议进展，或导出一次述职评议的结果。" + SYSTEM_NOTE

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{status,results}")
        sub.required = True
        s = sub.add_parser("status", help="列出某年度的述职评议：状态、述职书记、述职报告和投票人数")
        s.add_argument("--year", required=True, metavar="YYYY", help="评议年度，如 2026")
        s.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织开展的述职评议")
        s.add_argument("--format", choices=["table", "json"], default="table")
        r = sub.add_parser(
            "results",
            help="导出一次述职评议的结果：结束且测评票达到规定张数后才含每名书记的测评票数和综合得分，"
            "从不含任何人的投票内容。" + SYSTEM_NOTE,
        )
        r.add_argument("campaign", metavar="CAMPAIGN_ID", help="述职评议的编号（页面地址中的数字）")
        r.add_argument("--format", choices=["json", "xlsx"], required=True)
        r.add_argument("--output", metavar="FILE", help="输出文件（xlsx 格式必填；json 默认输出到屏幕）")

    def handle(self, *args, **options) -> None:
        if options["action"] == "results":
            self._results(options)
            return
        year = year_argument(options["year"])
        orgs = org_subtree(options["org"])
        items = [row.as_json() for row in status(orgs, year)]
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_table(HEADERS, table_rows(items)), ending="")

    def _results(self, options) -> None:
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise _fail("xlsx 格式须用 --output 指定输出文件。")
        raw = options["campaign"]
        c = (
            Campaign.objects.select_related("owner").filter(pk=int(raw)).first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if c is None:
            raise _fail(f"编号为“{raw}”的述职评议不存在。")
        if fmt == "json":
            text = tables.to_json(results_json(c))
            if output:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                self.stdout.write(text, ending="")
            return
        sheets, n = summary_tables(c)
        xlsx.save_tables(sheets, output)
        record_export(
            actor=None,
            what="述职评议结果",
            object_type="appraisals.campaign",
            org_path=c.owner.path,
            scope=f"{c}（命令行，{output}）",
            rows=n,
        )
        self.stderr.write(f"已写入 {output}（{n} 名书记）。")
