"""Excel import and export of organisations (组织). Party posts (党内职务) name their member: their spec is
`dangjian.members.xlsx.PostImporter`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from dangjian.core import idcard
from dangjian.core.errors import ServiceError
from dangjian.core.imports import ImportContext, Importer, bulk_filter
from dangjian.core.xlsx import Choice, Column, Date, Integer, ParsedRow, Text, YesNo
from dangjian.orgs.choices import DEFAULT_TERM_YEARS, OrgType, chinese_label
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org, update_org, validate_placement

# The example rows of the three templates fit together: import the orgs template under an existing
# 党委 coded EXAMPLE_PARENT_CODE, then the members template, then the posts template.
EXAMPLE_PARENT_CODE = "JG01"
EXAMPLE_BRANCH_CODE = "JG01-01"
EXAMPLE_ID_NUMBER = idcard.make("110101", dt.date(1985, 6, 15), 12, male=True)

CODE, PARENT = "组织编码", "上级组织编码"

ORG_COLUMNS = (
    Column("组织编码", "code", Text(50), required=True, help="唯一；再次导入时按组织编码匹配已有组织。"),
    Column("组织名称", "name", Text(100), required=True, width=24),
    Column("组织类型", "type", Choice(OrgType), required=True),
    Column(
        "上级组织编码",
        "parent",
        Text(50),
        help="工委不填；上级组织可以是已有组织，也可以在本表中（前后不限）。",
    ),
    Column("所在单位", "unit", Text(100), width=20),
    Column("成立日期", "founded_on", Date()),
    Column("本届开始日期", "term_started_on", Date(), help="不填时按成立日期计算任期。"),
    Column("任期年限", "term_years", Integer(), help="1至10；不填时按类型默认：党委5年，党总支、党支部3年。"),
    Column("离退休党支部", "is_retiree_branch", YesNo()),
    Column("撤销日期", "dissolved_on", Date(), help="已撤销的组织填写，历史记录保留。"),
    Column(
        "组织设置批准文号",
        "setup_approval_ref",
        Text(100),
        width=20,
        help="党员人数与组织形式不相符（党支部党员50名以上，党总支党员不足50名或100名以上）"
        "经上级党组织批准的，填写批准文号，并填写批准日期。",
    ),
    Column("组织设置批准日期", "setup_approved_on", Date(), help="与批准文号同时填写。"),
)
ORG_KEYS = tuple(c.key for c in ORG_COLUMNS)


def orgs_by_code(codes: Iterable[str | None]) -> dict[str, Org]:
    """Organisations by 组织编码, in bulk (with their parents)."""
    return {org.code: org for org in bulk_filter(Org.objects.select_related("parent"), "code", codes)}


def unknown_org(code: str) -> str:
    """The one message for a 组织编码 naming no organisation within the actor's scope, whether it exists elsewhere
    or not (a file's reference to an organisation, as to a member: `members.xlsx.unknown_member`)."""
    return _("本组织范围内没有组织编码为“%(code)s”的组织。") % {"code": code}


def _org_label(org: Org) -> str:
    return f"{chinese_label(OrgType, org.type)}“{org.name}”（{org.code}）"


def org_changed(org: Org, data: dict[str, Any]) -> bool:
    """Whether writing `data` (the columns present in the sheet) would change `org`."""
    for key, value in data.items():
        current = getattr(org, key) if key != "parent" else org.parent_id
        if key == "parent":
            value = value.pk if value else None
        elif key == "term_years" and value is None:
            value = DEFAULT_TERM_YEARS.get(data.get("type", org.type))
        if value != current:
            return True
    return False


def write_order(rows: list[ParsedRow], by_code: dict[str, ParsedRow], ctx: ImportContext) -> list[ParsedRow]:
    """Rows with parents first (a parent may come later in the sheet); rows in a cycle are errors."""
    placed: set[int] = set()
    order: list[ParsedRow] = []
    for row in rows:
        chain: list[ParsedRow] = []
        current: ParsedRow | None = row
        while current is not None and current.row not in placed and current not in chain:
            chain.append(current)
            current = by_code.get(current.get("parent") or "")
        if current is not None and current in chain:
            cycle = chain[chain.index(current) :]
            for member in cycle:
                message = _("不能是本组织自身。") if len(cycle) == 1 else _("上级组织形成了循环引用。")
                ctx.error(member.row, PARENT, message)
        for item in reversed(chain):
            placed.add(item.row)
            order.append(item)
    return order


class OrgImporter(Importer):
    kind = "orgs"
    title = "组织"
    columns = ORG_COLUMNS
    fallback_column = CODE

    def __init__(self) -> None:
        self.moved = False  # once a subtree has moved, cached paths are stale: re-read parents

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        by_code = self._index(rows, ctx)
        existing = orgs_by_code([r.get("code") for r in rows] + [r.get("parent") for r in rows])
        for row in rows:  # even a row that already has errors: list everything that can be checked
            self._check(row, by_code, existing, ctx)
        written: dict[str, Org] = {}
        for row in write_order(rows, by_code, ctx):
            parent_code = row.get("parent")
            if ctx.fails(row.row) or (parent_code in by_code and parent_code not in written):
                continue  # its own error is listed, or its parent's row failed
            ctx.attempt(row.row, self._write, row, written, existing, ctx)

    def _index(self, rows: list[ParsedRow], ctx: ImportContext) -> dict[str, ParsedRow]:
        by_code: dict[str, ParsedRow] = {}
        for row in rows:
            code = row.get("code")
            if not code:
                continue
            if code in by_code:
                ctx.error(
                    row.row,
                    CODE,
                    _("组织编码“%(code)s”与第 %(row)s 行重复。") % {"code": code, "row": by_code[code].row},
                )
            else:
                by_code[code] = row
        return by_code

    def _check(self, row: ParsedRow, by_code, existing: dict[str, Org], ctx: ImportContext) -> None:
        """References, scope and the tree's shape, checked for every row before anything is written."""
        org = existing.get(row.get("code"))
        if org is not None and not ctx.covers(org):
            ctx.error(row.row, CODE, _("组织“%(code)s”不在您的管理范围内。") % {"code": org.code})
            return
        if not ctx.has("parent"):
            parent = org.parent if org is not None else None
        else:
            code = row.get("parent")
            if code and code == row.get("code"):
                return  # reported by write_order
            if code in by_code:
                parent_row = by_code[code]
                if not parent_row.get("type"):
                    return
                parent = Org(code=code, name=parent_row.get("name") or code, type=parent_row.get("type"))
            elif code in existing:
                parent = existing[code]
                if not ctx.covers(parent) and (org is None or org.parent_id != parent.pk):
                    ctx.error(row.row, PARENT, _("上级组织“%(code)s”不在您的管理范围内。") % {"code": code})
                    return
            elif code:
                ctx.error(
                    row.row, PARENT, _("组织编码“%(code)s”不存在（系统和本文件中都没有）。") % {"code": code}
                )
                return
            else:
                parent = None
        if row.get("type"):
            try:
                validate_placement(row.get("type"), parent)
            except ServiceError as exc:
                ctx.error(row.row, PARENT, exc.message)

    def _parent(self, code: str, written: dict[str, Org], existing: dict[str, Org]) -> Org | None:
        if not code:
            return None
        parent = written.get(code) or existing[code]
        return Org.objects.get(pk=parent.pk) if self.moved else parent

    def _write(self, row: ParsedRow, written, existing, ctx: ImportContext) -> tuple[str, str, str]:
        data = {key: value for key, value in row.values.items() if key in ORG_KEYS}
        if "parent" in data:
            data["parent"] = self._parent(data["parent"], written, existing)
        org = existing.get(data["code"])
        if org is None:
            org, action = create_org(actor=ctx.actor, data=data), "create"
        elif org_changed(org, data):
            moved = "parent" in data and (data["parent"].pk if data["parent"] else None) != org.parent_id
            org, action = update_org(actor=ctx.actor, org=org, data=data), "update"
            self.moved = self.moved or moved
        else:
            action = "unchanged"
        written[org.code] = org
        return action, _org_label(org), org.path

    def example(self) -> dict[str, Any]:
        return {
            "code": EXAMPLE_BRANCH_CODE,
            "name": "示例局机关第一党支部",
            "type": OrgType.ZHIBU,
            "parent": EXAMPLE_PARENT_CODE,
            "unit": "示例局",
            "founded_on": dt.date(2021, 3, 1),
            "term_started_on": dt.date(2024, 3, 1),
            "term_years": 3,
            "is_retiree_branch": False,
            "dissolved_on": None,
            "setup_approval_ref": "",
            "setup_approved_on": None,
        }

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        for org in queryset.select_related("parent").order_by("path").iterator(chunk_size=2000):
            row = {key: getattr(org, key) for key in ORG_KEYS if key != "parent"}
            row["parent"] = org.parent.code if org.parent_id else ""
            yield row
