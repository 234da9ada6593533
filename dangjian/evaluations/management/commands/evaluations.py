"""`dangjian evaluations status --year Y [--org CODE] [--format table|json]`: every active 党支部 (of --org's
subtree; default all) with its 民主评议党员 of the year — the step, participants, ballots cast online against
those who receive one, paper ballots, grades and 优秀. Never a tally or a rating. Four queries whatever the
number of branches.

`dangjian evaluations results EVAL_ID --format json|xlsx [--output FILE]`: one evaluation's results — the
evaluation (branch, year, step, dates, ballots online and on paper; per 党小组 when the 测评 was held per group)
and per participant the name, 正式/预备, the 党小组, the 测评 tallies, the grade and the 限期改正 due date and
outcome. The tallies come from `selectors.results`, the read the result page uses: per person only once the 测评
is closed and from `min_ballots_for_tallies` ballots (in the person's 党小组 when held per group), else null (the
total number of ballots is given once, with the evaluation). Nothing per voter exists to show. JSON goes to
stdout (or --output); xlsx needs --output and is recorded as an export in the audit trail.

Both run as the system (full scope, like every management command). Exit 2 for bad arguments, an unknown
evaluation or xlsx without --output (nothing written)."""

from __future__ import annotations

from dangjian.core import xlsx
from dangjian.core.choices import chinese_label
from dangjian.evaluations.choices import CLOSED_STEPS, RATING_ORDER, FollowUpOutcome, Organ, Rating, Step
from dangjian.evaluations.models import Evaluation
from dangjian.evaluations.selectors import participants, results, status
from dangjian.orgs.commands import SYSTEM_NOTE, StatusResultsCommand

HEADERS = (
    "组织编码",
    "组织名称",
    "当前步骤",
    "开始日期",
    "参评党员",
    "已投票",
    "应投票",
    "纸质票",
    "已评定",
    "优秀",
)


def table_rows(items: list[dict]) -> list[list[str]]:
    return [
        [
            i["org"],
            i["name"],
            chinese_label(Step, i["step"]) if i["step"] else "未开展",
            i["opened_on"] or "",
            str(i["participants"]),
            str(i["voted"]),
            str(i["voters"]),
            str(i["paper_ballots"]),
            str(i["graded"]),
            str(i["excellent"]),
        ]
        for i in items
    ]


RESULT_HEADERS = (
    "姓名",
    "类别",
    *(chinese_label(Rating, r) for r in RATING_ORDER),
    "评定等次",
    "限期改正期满日期",
    "限期改正结果",
)


def _day(value) -> str | None:
    return value.isoformat() if value else None


def results_json(ev: Evaluation) -> dict:
    """The evaluation and its participants; the tallies from `selectors.results` (null unless shown)."""
    people = participants(ev)
    found = results(ev, people)
    tallies = {row.participant.pk: row.counts for row in found.rows}
    return {
        "evaluation": {
            "id": ev.pk,
            "org": ev.org.code,
            "name": ev.org.name,
            "year": ev.year,
            "step": ev.step,
            "organ": ev.organ,
            "opened_on": _day(ev.opened_on),
            "voting_closed_on": _day(ev.voting_closed_on),
            "graded_on": _day(ev.graded_on),
            "published_on": _day(ev.published_on),
            "completed_on": _day(ev.completed_on),
            "ballots": found.ballots,
            "ballots_online": found.online,
            "ballots_paper": found.paper,
            "threshold": found.threshold,
            "tallies_shown": found.shown,
            "by_group": found.by_group,
            "groups": [
                {
                    "group": g.group.name if g.group else None,
                    "participants": g.size,
                    "ballots": g.ballots,
                    "tallies_shown": g.shown,
                }
                for g in found.groups
            ]
            if found.by_group
            else None,
        },
        "participants": [
            {
                "name": p.member.name,
                "category": "formal" if p.formal else "probationary",
                "group": p.group.name if p.group else None,
                "tallies": tallies.get(p.pk) if found.shown else None,
                "grade": p.grade or None,
                "followup_due": _day(p.followup_due),
                "followup_outcome": p.followup_outcome or None,
            }
            for p in people
        ],
    }


def _results_note(e: dict) -> str:
    if e["by_group"] and e["step"] in CLOSED_STEPS:
        groups = "；".join(
            f"{g['group'] or '支部直属党员'} {g['ballots']} 张"
            + ("" if g["tallies_shown"] else f"（少于 {e['threshold']} 张，不显示个人测评结果）")
            for g in e["groups"]
        )
        return f"按党小组测评，测评票共 {e['ballots']} 张：{groups}。"
    if e["tallies_shown"]:
        return f"测评票共 {e['ballots']} 张（网上 {e['ballots_online']}，纸质 {e['ballots_paper']}）。"
    if e["step"] not in CLOSED_STEPS:
        return f"民主测评尚未结束，不显示测评结果；已收测评票 {e['ballots']} 张。"
    return (
        f"测评票共 {e['ballots']} 张（网上 {e['ballots_online']}，纸质 {e['ballots_paper']}），"
        f"少于 {e['threshold']} 张，不显示每名党员的测评结果。"
    )


def write_results_xlsx(data: dict, target) -> None:
    e = data["evaluation"]
    dates = "，".join(
        f"{label}：{e[key]}"
        for key, label in (
            ("opened_on", "开始日期"),
            ("voting_closed_on", "测评结束"),
            ("graded_on", "组织评定"),
            ("published_on", "公示"),
            ("completed_on", "完成"),
        )
        if e[key]
    )
    above = (
        f"{e['name']}（{e['org']}）{e['year']}年度民主评议党员",
        f"当前步骤：{chinese_label(Step, e['step'])}；评定机构：{chinese_label(Organ, e['organ'])}",
        dates,
        _results_note(e),
    )
    rows = []
    for p in data["participants"]:
        counts = p["tallies"] or {}
        rows.append(
            [
                p["name"],
                "正式党员" if p["category"] == "formal" else "预备党员",
                *(counts.get(r) for r in RATING_ORDER),
                chinese_label(Rating, p["grade"]) if p["grade"] else "",
                p["followup_due"] or "",
                chinese_label(FollowUpOutcome, p["followup_outcome"]) if p["followup_outcome"] else "",
            ]
        )
    xlsx.save_tables(
        [xlsx.Table("民主评议结果", header=RESULT_HEADERS, rows=rows, above=above, widths=(12, 10))], target
    )


class Command(StatusResultsCommand):
    help = "民主评议党员：按党支部列出某年度的进展，或导出一次民主评议的结果。" + SYSTEM_NOTE
    noun = "民主评议"
    id_metavar = "EVAL_ID"
    status_help = "按党支部列出某年度民主评议党员的步骤、投票和评定人数"
    results_help = "导出一次民主评议的结果：测评结束且测评票达到规定张数后才含每名党员的测评票数，从不含任何人的投票内容。"
    headers = HEADERS
    export_what = "民主评议党员结果"
    export_type = "evaluations.evaluation"
    row_noun = "名党员"

    def status_items(self, orgs, year):
        return [row.as_json() for row in status(orgs, year)]

    def table_rows(self, items):
        return table_rows(items)

    def find(self, pk):
        return Evaluation.objects.select_related("org").filter(pk=pk).first()

    def results_json(self, obj):
        return results_json(obj)

    def write_xlsx(self, obj, data, output):
        write_results_xlsx(data, output)
        return len(data["participants"])

    def export_org(self, obj):
        return obj.org
