"""Excel import and export of the member registry (党员).

Members match on 身份证号 through its keyed hash (one query for the whole file). 党内职务 and 任职日期,
when given, create that post in the member's own organisation (both or neither). The party posts'
own file (`posts`: a member, an organisation, a post and its dates) is here too: its rows name members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import DatabaseError
from django.db.models import F
from django.utils.translation import gettext as _

from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.imports import ImportContext, Importer, bulk_filter
from dangjian.core.pii import lookup_hash, mask_id_number, mask_phone
from dangjian.core.xlsx import CellError, Choice, Column, Date, IdNumber, ParsedRow, Text, YesNo
from dangjian.members.choices import Category, Education, WorkStatus
from dangjian.members.models import Member
from dangjian.members.services import (
    MEMBER_FIELDS,
    MembersRefused,
    create_member,
    create_members,
    id_number_taken,
    update_member,
    validate_member_org,
    validate_phone,
)
from dangjian.orgs.choices import PostTitle, chinese_label
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_post, update_post
from dangjian.orgs.xlsx import EXAMPLE_BRANCH_CODE, EXAMPLE_ID_NUMBER, orgs_by_code, unknown_org

# May the reader see this member's personal data in full? (member id, organisation id, organisation path)
PersonalCheck = Callable[[int, int, str], bool]

ID, ORG, TITLE, STARTED = "身份证号", "所在组织编码", "党内职务", "任职日期"
# New members are written this many at a time (`create_members`): the queries of a file grow with its
# chunks, not its rows, and a chunk's objects are all the memory the writing holds.
BULK_ROWS = 1000


class Phone(Text):
    """手机号码: digits only (a number cell is fine); never echoed back in messages."""

    hint = "7至15位数字。"

    def parse(self, value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            return validate_phone(str(value))
        except ServiceError as exc:
            raise CellError(exc.message) from exc


MEMBER_COLUMNS = (
    Column("姓名", "name", Text(50), required=True),
    Column(ID, "id_number", IdNumber(), required=True, help="再次导入时按身份证号匹配已有党员。", width=22),
    Column("民族", "ethnicity", Text(20), help="不填为汉族。", default="汉族"),
    Column("学历", "education", Choice(Education)),
    Column("手机号码", "phone", Phone(), width=16),
    Column("人员类别", "category", Choice(Category), required=True),
    Column("入党日期", "joined_on", Date(), required=True),
    Column("转正日期", "confirmed_on", Date(), help="正式党员必填，应晚于入党日期；预备党员不填。"),
    Column(ORG, "org", Text(50), required=True, help="党支部或党小组的组织编码。"),
    Column(TITLE, "post_title", Choice(PostTitle), help="可不填；填写时须同时填写任职日期，在所在组织任职。"),
    Column(STARTED, "post_started_on", Date(), help="与党内职务同时填写。"),
    Column("工作状态", "work_status", Choice(WorkStatus), help="不填为在职。", default=WorkStatus.ACTIVE),
    Column("是否领导干部", "is_leader", YesNo()),
    Column("工作岗位", "position", Text(100), width=20),
    Column("流动党员", "is_mobile", YesNo()),
)


def members_by_number(numbers: Iterable[str | None], scope=None) -> dict[str, Member]:
    """Members by 身份证号, in bulk, through the keyed hash (with their organisations).

    `scope` (an import's `ctx.scope`): only the members of the organisations it administers. Every reference a
    file makes (代缴人, 主持人, 参训人员 …) is resolved so: a number registered outside the actor's scope is
    exactly as unknown as a number never registered (`unknown_member`), so a file cannot probe the roll. Only
    the registry's own uniqueness check (the members file) looks system-wide."""
    hashes = {lookup_hash(n): n for n in numbers if n}
    members = Member.objects.select_related("org")
    if scope is not None:
        members = members.filter(scope.org_q("org__"))
    found = bulk_filter(members, "id_number_hash", hashes)
    return {hashes[m.id_number_hash]: m for m in found}


def unknown_member(numbers: str | Iterable[str]) -> str:
    """The one message for a 身份证号 that names no member within the actor's scope, whether it exists elsewhere
    or not (masked; several numbers are listed together)."""
    listed = [numbers] if isinstance(numbers, str) else list(numbers)
    masked = enumeration([mask_id_number(n) for n in listed])
    return _("本组织范围内没有身份证号为 %(number)s 的党员。") % {"number": masked}


def member_changed(member: Member, data: dict[str, Any]) -> bool:
    for key, value in data.items():
        current = member.org_id if key == "org" else getattr(member, key)
        if (value.pk if key == "org" else value) != current:
            return True
    return False


def _new_member(row: ParsedRow, org: Org) -> dict[str, Any]:
    """A new member's data: the row's values over the blank values of the columns it leaves out."""
    data = {c.key: c.blank_value for c in MEMBER_COLUMNS if c.key in MEMBER_FIELDS}
    data.update((key, value) for key, value in row.values.items() if key in MEMBER_FIELDS)
    data["org"] = org
    return data


def _summary(member: Member) -> str:
    return f"{member.name}（{mask_id_number(member.id_number)}）{member.org.name}"


class MemberImporter(Importer):
    kind = "members"
    title = "党员"
    columns = MEMBER_COLUMNS
    fallback_column = ID
    aliases = {"title": TITLE, "started_on": STARTED}

    def check_row(self, row: ParsedRow, ctx: ImportContext) -> None:
        """党内职务 and 任职日期 go together (a cell with an error counts as filled in)."""
        has_title = bool(row.get("post_title")) or "post_title" in row.invalid
        has_started = row.get("post_started_on") is not None or "post_started_on" in row.invalid
        if has_title and not has_started:
            ctx.error(row.row, STARTED, _("填写了党内职务，还应填写任职日期。"))
        elif has_started and not has_title:
            ctx.error(row.row, TITLE, _("填写了任职日期，还应填写党内职务。"))

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        self._check_duplicates(rows, ctx)
        existing = members_by_number(r.get("id_number") for r in rows)
        orgs = orgs_by_code(r.get("org") for r in rows)
        posts = self._existing_posts(existing.values())
        pending: list[tuple[ParsedRow, Org]] = []  # new members without a post, written BULK_ROWS at a time
        for row in rows:  # references are checked on every row, even one that already has errors
            member = existing.get(row.get("id_number"))
            org = self._org(row, orgs, ctx) if row.get("org") else None
            if member is not None and not ctx.covers(member.org):
                ctx.error(row.row, ID, id_number_taken())
            if ctx.fails(row.row):
                continue
            if member is None and org is not None and not row.get("post_title"):
                pending.append((row, org))
                if len(pending) >= BULK_ROWS:
                    self._create(pending, posts, ctx)
            else:  # written in file order: the new members before it first
                self._create(pending, posts, ctx)
                ctx.attempt(row.row, self._write, row, member, org, posts, ctx)
        self._create(pending, posts, ctx)

    def _create(self, pending: list[tuple[ParsedRow, Org]], posts: set[tuple], ctx: ImportContext) -> None:
        """Writes the pending new members in one `create_members` call: the same checks, messages and audit
        events as one `create_member` per row, with a number of queries that does not depend on the rows. The
        rows it refuses get their errors and the others are written in a second call; should the bulk write
        fail otherwise (a row the database refuses), the rows go one by one so that the error names its row."""
        batch, pending[:] = list(pending), []
        for attempt in (1, 2):
            if not batch:
                return
            try:
                members = create_members(actor=ctx.actor, data=[_new_member(r, org) for r, org in batch])
            except MembersRefused as exc:
                if attempt == 2:
                    break
                for index in sorted(exc.refusals):
                    ctx.refused(batch[index][0].row, exc.refusals[index])
                batch = [item for index, item in enumerate(batch) if index not in exc.refusals]
                continue
            except (ServiceError, DatabaseError):
                break
            for (row, _org), member in zip(batch, members, strict=True):
                ctx.written(row.row, "create", _summary(member), member.org.path)
            return
        for row, org in batch:
            ctx.attempt(row.row, self._write, row, None, org, posts, ctx)

    def _check_duplicates(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        first: dict[str, int] = {}
        for row in rows:
            number = row.get("id_number")
            if not number:
                continue
            if number in first:
                masked = mask_id_number(number)
                ctx.error(
                    row.row,
                    ID,
                    _("身份证号 %(number)s 与第 %(row)s 行重复。") % {"number": masked, "row": first[number]},
                )
            else:
                first[number] = row.row

    def _org(self, row: ParsedRow, orgs: dict[str, Org], ctx: ImportContext) -> Org | None:
        code = row.get("org")
        org = orgs.get(code)
        if org is None:
            ctx.error(row.row, ORG, unknown_org(code))
        elif not ctx.covers(org):
            ctx.error(row.row, ORG, unknown_org(code))
        else:  # a 党委 or a dissolved branch: said with the row's other errors, not after they are fixed
            try:
                validate_member_org(org)
            except ServiceError as exc:
                ctx.error(row.row, ORG, exc.message)
        return org

    def _existing_posts(self, members) -> set[tuple]:
        posts = bulk_filter(Post.objects.all(), "member_id", [m.pk for m in members])
        return {(p.member_id, p.org_id, p.title, p.started_on) for p in posts}

    def _write(self, row: ParsedRow, member: Member | None, org: Org, posts: set[tuple], ctx: ImportContext):
        data = {key: value for key, value in row.values.items() if key in MEMBER_FIELDS}
        data["org"] = org
        if member is not None:
            self._keep_mobile(row, member, data, ctx)
        if member is None:
            member, action = create_member(actor=ctx.actor, data=_new_member(row, org)), "create"
        elif member_changed(member, data):
            member, action = update_member(actor=ctx.actor, member=member, data=data), "update"
        else:
            action = "unchanged"
        if row.get("post_title") and self._add_post(row, member, posts, ctx) and action == "unchanged":
            action = "update"
        return action, _summary(member), member.org.path

    def _keep_mobile(self, row: ParsedRow, member: Member, data: dict[str, Any], ctx: ImportContext) -> None:
        """流动党员 of a member already registered follows their 外出记录 (movements: 登记外出 sets it, 登记返回
        clears it), as on the member form: a file does not change it. A value that disagrees is left out, with a
        warning saying where to record it; the rest of the row is imported. (A new member's value is taken: a roll
        taken over from another system says who is away, and the 分类统计 lists them to record where.)"""
        if "is_mobile" not in data:
            return
        wanted = bool(data.pop("is_mobile"))
        if wanted != member.is_mobile:
            ctx.result.warnings.append(
                _(
                    "第 %(row)s 行 流动党员：%(name)s仍为“%(value)s”，未按文件修改。流动党员由外出记录决定，"
                    "请在“党员管理”中为其登记外出或返回。"
                )
                % {"row": row.row, "name": member.name, "value": _("是") if member.is_mobile else _("否")}
            )

    def _add_post(self, row: ParsedRow, member: Member, posts: set[tuple], ctx: ImportContext) -> bool:
        key = (member.pk, member.org_id, row.get("post_title"), row.get("post_started_on"))
        if key in posts:
            return False
        data = {"member": member, "org": member.org, "title": key[2], "started_on": key[3]}
        try:
            create_post(actor=ctx.actor, data=data)
        except ServiceError as exc:
            if not exc.errors:
                raise ServiceError(exc.message, field="post_title") from exc
            raise
        posts.add(key)
        return True

    def example(self) -> dict[str, Any]:
        return {
            "name": "王小明",
            "id_number": EXAMPLE_ID_NUMBER,
            "ethnicity": "汉族",
            "education": Education.BACHELOR,
            "phone": "13800000000",
            "category": Category.FORMAL,
            "joined_on": dt.date(2010, 7, 1),
            "confirmed_on": dt.date(2011, 7, 1),
            "org": EXAMPLE_BRANCH_CODE,
            "post_title": PostTitle.SECRETARY,
            "post_started_on": dt.date(2024, 3, 1),
            "work_status": WorkStatus.ACTIVE,
            "is_leader": False,
            "position": "科员",
            "is_mobile": False,
        }

    def export_rows(self, queryset, full_personal: PersonalCheck | None = None) -> Iterable[dict[str, Any]]:
        """One row per member. `full_personal(member id, organisation id, path)` says whether the reader may see
        that member's 身份证号 and 手机号码 in full (the detail page's rule); otherwise they are masked as in the
        lists. Without it, everything is in full (the system itself). Read as values, not as model instances
        (a 工委's roll is 60,000 members: building the objects cost more than writing the workbook)."""
        fields = [f for f in MEMBER_FIELDS if f != "org"]
        rows = queryset.order_by("org__path", "name_pinyin", "name", "pk").values_list(
            "pk", "org_id", "org__path", "org__code", *fields
        )
        posts = self._current_posts(queryset)
        for pk, org_id, path, code, *values in rows.iterator(chunk_size=5000):
            row = dict(zip(fields, values, strict=True))
            if full_personal is not None and not full_personal(pk, org_id, path):
                row["id_number"], row["phone"] = mask_id_number(row["id_number"]), mask_phone(row["phone"])
            row["org"] = code
            row["post_title"], row["post_started_on"] = posts.get(pk, ("", None))
            yield row

    def _current_posts(self, members) -> dict[int, tuple[str, dt.date]]:
        """Each member's current post in their own organisation (the senior one if several): (title, since)."""
        order = {title: i for i, title in enumerate(PostTitle.values)}
        posts = (
            Post.objects.current()
            .filter(member__in=members.order_by().values("pk"), org_id=F("member__org_id"))
            .values_list("member_id", "title", "started_on")
        )
        chosen: dict[int, tuple[str, dt.date]] = {}
        for member_id, title, started_on in sorted(posts, key=lambda p: (order.get(p[1], 99), p[2])):
            chosen.setdefault(member_id, (title, started_on))
        return chosen


# --- party posts (the organisation's Post, imported here because a row names its member) -------------------------------------------------------------------------------------

POST_COLUMNS = (
    Column("身份证号", "member", IdNumber(), required=True, help="党员须已在系统中。", width=22),
    Column("组织编码", "org", Text(50), required=True, help="任职的组织，可以不是党员所在的组织。"),
    Column("党内职务", "title", Choice(PostTitle), required=True, help="党小组只设党小组长。"),
    Column("任职日期", "started_on", Date(), required=True),
    Column("离任日期", "ended_on", Date(), help="仍在任的不填。"),
)


class PostImporter(Importer):
    kind = "posts"
    title = "党内职务"
    columns = POST_COLUMNS
    fallback_column = "党内职务"

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        members = members_by_number((r.get("member") for r in rows), ctx.scope)
        orgs = orgs_by_code(r.get("org") for r in rows)
        existing = self._existing(members.values(), orgs.values())
        seen: dict[tuple, int] = {}
        for row in rows:
            member, org = self._resolve(row, members, orgs, ctx)
            if member is None or org is None:
                continue
            key = (member.pk, org.pk, row.get("title"), row.get("started_on"))
            if key in seen:
                ctx.error(
                    row.row,
                    "任职日期",
                    _("与第 %(row)s 行重复（同一党员、组织、职务和任职日期）。") % {"row": seen[key]},
                )
                continue
            seen[key] = row.row
            ctx.attempt(row.row, self._write, row, member, org, existing.get(key), ctx)

    def _existing(self, members, orgs) -> dict[tuple, Post]:
        org_ids = {org.pk for org in orgs}
        posts = bulk_filter(Post.objects.all(), "member_id", [m.pk for m in members])
        return {(p.member_id, p.org_id, p.title, p.started_on): p for p in posts if p.org_id in org_ids}

    def _resolve(self, row: ParsedRow, members, orgs, ctx: ImportContext):
        """The row's member and organisation, checked even when the row already has other errors."""
        member, org = members.get(row.get("member")), orgs.get(row.get("org"))
        if member is None and row.get("member"):
            ctx.error(row.row, "身份证号", unknown_member(row.get("member")))
        if org is None and row.get("org"):
            ctx.error(row.row, "组织编码", unknown_org(row.get("org")))
        elif org is not None and not ctx.covers(org):
            ctx.error(row.row, "组织编码", unknown_org(org.code))
        return (None, None) if ctx.fails(row.row) else (member, org)

    def _write(self, row: ParsedRow, member, org, post: Post | None, ctx: ImportContext):
        data = {"member": member, "org": org, "title": row.get("title"), "started_on": row.get("started_on")}
        if ctx.has("ended_on"):
            data["ended_on"] = row.get("ended_on")
        if post is None:
            post, action = create_post(actor=ctx.actor, data=data), "create"
        elif ctx.has("ended_on") and post.ended_on != data["ended_on"]:
            post, action = (
                update_post(actor=ctx.actor, post=post, data={"ended_on": data["ended_on"]}),
                "update",
            )
        else:
            action = "unchanged"
        title = chinese_label(PostTitle, post.title)
        return action, f"{org.name} {title} {member.name}（任职 {post.started_on:%Y-%m-%d}）", org.path

    def example(self) -> dict[str, Any]:
        return {
            "member": EXAMPLE_ID_NUMBER,
            "org": EXAMPLE_BRANCH_CODE,
            "title": PostTitle.ORGANIZATION,
            "started_on": dt.date(2021, 3, 1),
            "ended_on": dt.date(2024, 3, 1),
        }

    def export_rows(self, queryset, full_personal: PersonalCheck | None = None) -> Iterable[dict[str, Any]]:
        """One row per post; the holder's 身份证号 in full only where `full_personal(member)` allows it (see
        the members' export), masked otherwise."""
        posts = queryset.select_related("member__org", "org").order_by(
            "org__path", "title", "started_on", "pk"
        )
        for post in posts.iterator(chunk_size=2000):
            holder = post.member
            number = holder.id_number
            shown = full_personal is None or full_personal(holder.pk, holder.org_id, holder.org.path)
            yield {
                "member": number if shown else mask_id_number(number),
                "org": post.org.code,
                "title": post.title,
                "started_on": post.started_on,
                "ended_on": post.ended_on,
            }
