"""`dangjian appraisals status --year Y [--org CODE] [--format table|json]`: the 述职评议 held in the year by the
工委 and the 党委 (of --org's subtree; default all) — the organisation holding it (its name and 组织编码), state,
dates, subjects, reports given and uploaded, participants and ballots cast. Never a figure of the 测评. Three
queries whatever the number of campaigns.

`dangjian appraisals results CAMPAIGN_ID --format json|xlsx [--output FILE]`: one campaign's results — the
campaign and per secretary the organisation, the report, and the distribution of 好/较好/一般/差 per item with
the 综合 score. The figures come from `selectors.results`, the read the campaign's page uses: per secretary only
once the campaign is closed and from `min_ballots_for_tallies` ballots, else null (the total number of ballots is
given once, with the campaign). Nothing per voter exists to show. JSON goes to stdout (or --output); xlsx needs
--output and is recorded as an export in the audit trail.

Both run as the system (full scope, like every management command). Exit 2 for bad arguments, an unknown
campaign or xlsx without --output (nothing written)."""

from __future__ import annotations

from dangjian.appraisals.choices import State
from dangjian.appraisals.models import Campaign
from dangjian.appraisals.selectors import campaign_json, iso_day, results, status, subjects
from dangjian.appraisals.xlsx import summary_tables
from dangjian.core import xlsx
from dangjian.core.choices import chinese_label
from dangjian.orgs.commands import SYSTEM_NOTE, StatusResultsCommand

HEADERS = (
    "组织",
    "述职评议",
    "状态",
    "开始日期",
    "述职书记",
    "已述职",
    "已上传述职报告",
    "已投票",
    "测评人员",
    "纸质票",
)


def table_rows(items: list[dict]) -> list[list[str]]:
    return [
        [
            f"{i['name']}（{i['org']}）",  # the organisation holding it, by its name and 组织编码
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


class Command(StatusResultsCommand):
    help = "述职评议：列出某年度各组织的述职评议进展，或导出一次述职评议的结果。" + SYSTEM_NOTE
    noun = "述职评议"
    id_metavar = "CAMPAIGN_ID"
    status_help = "列出某年度的述职评议：状态、述职书记、述职报告和投票人数"
    results_help = "导出一次述职评议的结果：结束且测评票达到规定张数后才含每名书记的测评票数和综合得分，从不含任何人的投票内容。"
    year_help = "评议年度，如 2026"
    org_help = "组织编码：只含该组织及其下级组织开展的述职评议"
    headers = HEADERS
    export_what = "述职评议结果"
    export_type = "appraisals.campaign"
    row_noun = "名书记"

    def status_items(self, orgs, year):
        return [row.as_json() for row in status(orgs, year)]

    def table_rows(self, items):
        return table_rows(items)

    def find(self, pk):
        return Campaign.objects.select_related("owner").filter(pk=pk).first()

    def results_json(self, obj):
        return results_json(obj)

    def write_xlsx(self, obj, data, output):
        sheets, n = summary_tables(obj)
        xlsx.save_tables(sheets, output)
        return n

    def export_org(self, obj):
        return obj.owner
