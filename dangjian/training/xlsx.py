"""Excel import of study statistics from outside platforms (`study-stats`): 学习强国 and 上海干部在线学习
exports, one row per member + platform + period (YYYY or YYYY-MM) with 积分 and/or 学时.

Members are given by 身份证号 (one query for the whole file through the keyed hash). A row matches an existing
record on member + 平台 + 期间: the same figures are unchanged, others an update; re-importing a file changes
nothing. Writes go through `training.services.record_study` (scope check and audit)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from dangjian.core.errors import ServiceError
from dangjian.core.imports import ImportContext, Importer
from dangjian.core.pii import mask_id_number
from dangjian.core.xlsx import CellError, Choice, Column, IdNumber, Integer, ParsedRow, Text
from dangjian.members.models import Member
from dangjian.members.xlsx import members_by_number, unknown_member
from dangjian.orgs.choices import chinese_label
from dangjian.orgs.xlsx import EXAMPLE_ID_NUMBER
from dangjian.training.choices import Platform

ID, NAME, PLATFORM, PERIOD, POINTS, HOURS = "身份证号", "姓名", "平台", "期间", "积分", "学时"


class StudyHours:
    """学时 as Decimal (never float): a number cell through its shortest repr; at most two decimals."""

    number_format = "0.00"
    blank: Any = None
    hint = "数字，最多两位小数。"

    def parse(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellError(_("“%(value)s”不是有效学时。") % {"value": value})
        text = str(value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("“%(value)s”不是有效学时，应为数字。") % {"value": text}) from None
        if not number.is_finite() or number < 0:
            raise CellError(_("学时不能为负数。"))
        rounded = number.quantize(Decimal("0.01"))
        if rounded != number and abs(rounded - number) >= Decimal("0.000001"):
            raise CellError(_("学时最多保留两位小数。"))
        return rounded

    def render(self, value: Any) -> Any:
        return value


class Period(Text):
    hint = "YYYY（全年）或 YYYY-MM（某月），如 2026 或 2026-03。"

    def parse(self, value: Any) -> str:
        from dangjian.training.services import parse_period

        if isinstance(value, dt.datetime | dt.date):  # Excel turned "2026-03" into a date
            return f"{value:%Y-%m}"
        text = re.sub(r"\s", "", str(super().parse(value)))
        try:
            return parse_period(text)[0]
        except ServiceError as exc:
            raise CellError(exc.message) from exc


COLUMNS = (
    Column(ID, "member", IdNumber(), required=True, help="党员须已在党员名册中。", width=22),
    Column(NAME, "name", Text(50), help="仅供核对，可不填；填写时须与名册一致。"),
    Column(PLATFORM, "platform", Choice(Platform), required=True, width=18),
    Column(PERIOD, "period", Period(), required=True, width=10),
    Column(
        POINTS, "points", Integer(), help="平台积分，仅作记录；是否折算学时见 rules/study-platforms.yaml。"
    ),
    Column(HOURS, "hours", StudyHours(), help="平台统计的学时。积分和学时至少填一项。"),
)


class StudyStatsImporter(Importer):
    kind = "study-stats"
    title = "学习平台统计"
    columns = COLUMNS
    fallback_column = ID

    def check_row(self, row: ParsedRow, ctx: ImportContext) -> None:
        if row.get("points") is None and row.get("hours") is None and not ({"points", "hours"} & row.invalid):
            ctx.error(row.row, HOURS, _("积分和学时至少填写一项。"))

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        members = members_by_number((r.get("member") for r in rows), ctx.scope)
        seen: dict[tuple, int] = {}
        for row in rows:
            member = self._member(row, members, ctx)
            if member is not None and row.get("platform") and row.get("period"):
                key = (member.pk, row.get("platform"), row.get("period"))
                if key in seen:
                    ctx.error(
                        row.row,
                        PERIOD,
                        _("与第 %(row)s 行重复（同一党员、平台和期间）。") % {"row": seen[key]},
                    )
                seen.setdefault(key, row.row)
            if not ctx.fails(row.row):
                ctx.attempt(row.row, self._write, row, member, ctx)

    @staticmethod
    def _member(row: ParsedRow, members: dict[str, Member], ctx: ImportContext) -> Member | None:
        number = row.get("member")
        if not number:
            return None
        member = members.get(number)
        if member is None:
            ctx.error(row.row, ID, unknown_member(number))
            return None
        name = (row.get("name") or "").strip()
        if name and name != member.name:
            ctx.error(row.row, NAME, _("姓名“%(name)s”与名册中该身份证号的党员不一致。") % {"name": name})
        return member

    def _write(self, row: ParsedRow, member: Member, ctx: ImportContext):
        from dangjian.training.services import record_study

        _record, action = record_study(
            actor=ctx.actor,
            member=member,
            platform=row.get("platform"),
            period=row.get("period"),
            points=row.get("points"),
            hours=row.get("hours"),
        )
        figures = "，".join(
            x
            for x in (
                f"积分 {row.get('points')}" if row.get("points") is not None else "",
                f"学时 {row.get('hours')}" if row.get("hours") is not None else "",
            )
            if x
        )
        summary = (
            f"{member.name}（{mask_id_number(member.id_number)}）{chinese_label(Platform, row.get('platform'))}"
            f" {row.get('period')}：{figures}"
        )
        return action, summary, member.org.path

    def example(self) -> dict[str, Any]:
        return {
            "member": EXAMPLE_ID_NUMBER,
            "name": "",
            "platform": Platform.XUEXI,
            "period": f"{dt.date.today().year}",
            "points": 12000,
            "hours": Decimal("40.5"),
        }

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        for s in queryset.select_related("member").order_by(
            "member__name_pinyin", "member__name", "member_id", "platform", "period"
        ):
            yield {
                "member": s.member.id_number,
                "name": s.member.name,
                "platform": s.platform,
                "period": s.period,
                "points": s.points,
                "hours": s.hours,
            }
