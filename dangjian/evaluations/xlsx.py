"""Excel import of paper 测评 tallies (`ballot-tallies`): branches that vote on paper (retired members) count the
测评票 and enter, per evaluation, the number of paper ballots collected and, per person rated, the number of each
rating received.

Columns: 测评编号 (the evaluation's id, as in its page's address), 组织编码 (its 党支部, checked against the
evaluation), 身份证号 or 姓名 of the person rated (身份证号 is the key, as in every import; 姓名 alone is enough
when no other participant of the evaluation has that name; both: they must agree), 纸质票数 (the paper ballots
collected — the same number on every row of one evaluation), 优秀, 合格, 基本合格, 不合格 (blank: 0).

A file gives an evaluation's complete paper tallies: they replace what was entered before, and a participant not
listed has none. Writes go through `evaluations.services.record_paper_tallies` — the same check as the page
(only during 党员互评和民主测评, within the actor's scope, no one's counts above the ballots collected), once per
evaluation. An evaluation outside the actor's scope is as unknown as one that does not exist. The 身份证号 is never
echoed back: messages and summaries name the person."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from dangjian.core.errors import ServiceError
from dangjian.core.imports import ImportContext, Importer, bulk_filter
from dangjian.core.xlsx import Column, IdNumber, Integer, ParsedRow, Text
from dangjian.evaluations.choices import RATING_ORDER, Rating
from dangjian.evaluations.models import Evaluation, Participant
from dangjian.members.xlsx import members_by_number, unknown_member
from dangjian.orgs.choices import chinese_label
from dangjian.orgs.xlsx import EXAMPLE_BRANCH_CODE, EXAMPLE_ID_NUMBER

EVALUATION, ORG, ID, NAME, BALLOTS = "测评编号", "组织编码", "身份证号", "姓名", "纸质票数"
RATING_HEADERS = {r: chinese_label(Rating, r) for r in RATING_ORDER}  # the four columns: 优秀 … 不合格

COLUMNS = (
    Column(
        EVALUATION,
        "evaluation",
        Integer(),
        required=True,
        help="民主评议的编号，即民主评议页面地址中的数字。",
        width=10,
    ),
    Column(ORG, "org", Text(50), required=True, help="开展该民主评议的党支部的组织编码。"),
    Column(
        ID,
        "member",
        IdNumber(),
        help="被测评党员的身份证号。身份证号和姓名至少填一项；同名时须填身份证号。",
        width=22,
    ),
    Column(NAME, "name", Text(50), help="被测评党员的姓名；与身份证号同时填写时须与名册一致。"),
    Column(
        BALLOTS,
        "paper_ballots",
        Integer(),
        required=True,
        help="收回的纸质测评票张数；同一民主评议的各行须相同。",
        width=10,
    ),
    *(
        Column(label, rating, Integer(), default=0, help="该党员得到此等次的纸质票数，空白为0。", width=10)
        for rating, label in RATING_HEADERS.items()
    ),
)


class BallotTalliesImporter(Importer):
    kind = "ballot-tallies"
    title = "纸质测评票"
    columns = COLUMNS
    aliases = {"counts": BALLOTS}
    fallback_column = EVALUATION

    def check_row(self, row: ParsedRow, ctx: ImportContext) -> None:
        if not row.get("member") and not row.get("name") and not ({"member", "name"} & row.invalid):
            ctx.error(row.row, ID, _("身份证号和姓名至少填写一项。"))
        ballots = row.get("paper_ballots")
        total = sum(row.get(r) or 0 for r in RATING_ORDER)
        if ballots is not None and total > ballots:
            ctx.error(
                row.row,
                BALLOTS,
                _("各等次票数之和（%(total)s）超过纸质票数（%(ballots)s）。")
                % {"total": total, "ballots": ballots},
            )

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        evaluations = {
            ev.pk: ev
            for ev in bulk_filter(
                Evaluation.objects.select_related("org").filter(ctx.scope.org_q("org__")),
                "pk",
                (r.get("evaluation") for r in rows),
            )
        }
        people: dict[int, list[Participant]] = defaultdict(list)
        for p in bulk_filter(Participant.objects.select_related("member"), "evaluation_id", evaluations):
            people[p.evaluation_id].append(p)
        members = members_by_number((r.get("member") for r in rows), ctx.scope)
        groups: dict[int, list[tuple[ParsedRow, Participant]]] = defaultdict(list)
        first_ballots: dict[int, ParsedRow] = {}
        seen: dict[tuple[int, int], int] = {}
        for row in rows:
            ev = self._evaluation(row, evaluations, ctx)
            if ev is None:
                continue
            ballots = row.get("paper_ballots")
            if ballots is not None:
                first = first_ballots.setdefault(ev.pk, row)
                if first.get("paper_ballots") != ballots:
                    ctx.error(
                        row.row,
                        BALLOTS,
                        _("同一民主评议各行的纸质票数应相同：第 %(row)s 行为 %(n)s。")
                        % {"row": first.row, "n": first.get("paper_ballots")},
                    )
            participant = self._participant(row, people[ev.pk], members, ctx)
            if participant is None:
                continue
            key = (ev.pk, participant.pk)
            if key in seen:
                ctx.error(
                    row.row, NAME, _("与第 %(row)s 行重复（同一民主评议的同一党员）。") % {"row": seen[key]}
                )
            seen.setdefault(key, row.row)
            groups[ev.pk].append((row, participant))
        for ev_pk, group in groups.items():
            if not any(ctx.fails(row.row) for row, _p in group):
                self._write(evaluations[ev_pk], group, ctx)

    @staticmethod
    def _evaluation(
        row: ParsedRow, evaluations: dict[int, Evaluation], ctx: ImportContext
    ) -> Evaluation | None:
        number = row.get("evaluation")
        if number is None:
            return None
        ev = evaluations.get(number)
        if ev is None:
            ctx.error(row.row, EVALUATION, _("本组织范围内没有编号为 %(id)s 的民主评议。") % {"id": number})
            return None
        code = row.get("org")
        if code and code != ev.org.code:
            ctx.error(
                row.row,
                ORG,
                _("编号为 %(id)s 的民主评议由%(org)s（%(code)s）开展，与组织编码“%(given)s”不符。")
                % {"id": ev.pk, "org": ev.org.name, "code": ev.org.code, "given": code},
            )
        return ev

    @staticmethod
    def _participant(
        row: ParsedRow, participants: list[Participant], members: dict[str, Any], ctx: ImportContext
    ) -> Participant | None:
        number, name = row.get("member"), (row.get("name") or "").strip()
        if number:
            member = members.get(number)
            if member is None:
                ctx.error(row.row, ID, unknown_member(number))
                return None
            if name and name != member.name:
                ctx.error(row.row, NAME, _("姓名“%(name)s”与名册中该身份证号的党员不一致。") % {"name": name})
            found = [p for p in participants if p.member_id == member.pk]
            if not found:
                ctx.error(
                    row.row,
                    ID,
                    _("%(name)s不是编号为 %(id)s 的民主评议的参评党员。")
                    % {"name": member.name, "id": row.get("evaluation")},
                )
                return None
            return found[0]
        if not name:
            return None
        found = [p for p in participants if p.member.name == name]
        if len(found) != 1:
            message = (
                _("编号为 %(id)s 的民主评议的参评党员中没有“%(name)s”。")
                if not found
                else _("编号为 %(id)s 的民主评议有 %(n)s 名参评党员名为“%(name)s”，请填写身份证号。")
            )
            ctx.error(row.row, NAME, message % {"id": row.get("evaluation"), "name": name, "n": len(found)})
            return None
        return found[0]

    @staticmethod
    def _write(ev: Evaluation, group: list[tuple[ParsedRow, Participant]], ctx: ImportContext) -> None:
        """One call of the service for the evaluation; its refusal is reported on the evaluation's first row.
        The participants were read before the write: a row is unchanged when it and the ballots are."""
        from django.db import transaction

        from dangjian.evaluations.services import PAPER_FIELDS, record_paper_tallies

        ballots = group[0][0].get("paper_ballots")
        counts = {p.pk: {r: row.get(r) or 0 for r in RATING_ORDER} for row, p in group}
        try:
            with transaction.atomic():
                record_paper_tallies(actor=ctx.actor, evaluation=ev, paper_ballots=ballots, counts=counts)
        except ServiceError as exc:
            ctx.refused(group[0][0].row, exc)
            return
        same_ballots = ev.paper_ballots == ballots
        for row, p in group:
            changed = not same_ballots or [getattr(p, PAPER_FIELDS[r]) for r in RATING_ORDER] != [
                counts[p.pk][r] for r in RATING_ORDER
            ]
            figures = "，".join(f"{label} {counts[p.pk][r]}" for r, label in RATING_HEADERS.items())
            summary = _("%(org)s %(year)s年度民主评议（纸质票 %(ballots)s 张）%(name)s：%(figures)s") % {
                "org": ev.org.name,
                "year": ev.year,
                "ballots": ballots,
                "name": p.member.name,
                "figures": figures,
            }
            ctx.written(row.row, "update" if changed else "unchanged", summary, ev.org.path)

    def example(self) -> dict[str, Any]:
        return {
            "evaluation": 1,
            "org": EXAMPLE_BRANCH_CODE,
            "member": EXAMPLE_ID_NUMBER,
            "name": "",
            "paper_ballots": 12,
            Rating.EXCELLENT.value: 3,
            Rating.QUALIFIED.value: 8,
            Rating.BASIC.value: 1,
            Rating.UNQUALIFIED.value: 0,
        }
