"""Writes to the organisation tree and party posts. Each use case validates, checks scope inside
its transaction, writes, and records an audit event; a refused write changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Count, F, ProtectedError, Q, RestrictedError, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.scope import Scope, fresh_scope, require_org
from dangjian.core import audit, edits
from dangjian.core.choices import choice_label
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.i18n import alternatives, enumeration
from dangjian.orgs.choices import (
    ALLOWED_PARENTS,
    COMMITTEE_TITLES,
    DEFAULT_TERM_YEARS,
    OrgType,
    allowed_titles,
    chinese_label,
)
from dangjian.orgs.models import Org, Post, PostTitle, path_segment

ORG_FIELDS = (
    "code",
    "name",
    "type",
    "parent",
    "unit",
    "founded_on",
    "dissolved_on",
    "is_retiree_branch",
    "term_started_on",
    "term_years",
    "setup_approval_ref",
    "setup_approved_on",
)


def org_snapshot(org: Org) -> dict[str, Any]:
    data = {f: getattr(org, f) for f in ORG_FIELDS if f != "parent"}
    data["parent"] = org.parent.code if org.parent_id else None
    return data


def validate_placement(org_type: str, parent: Org | None) -> None:
    """The tree's shape: 工委 is the single root; 党组/党委 under 工委; 党总支 under 党委; ..."""
    allowed = ALLOWED_PARENTS.get(org_type, frozenset())
    type_label = choice_label(OrgType, org_type)
    if allowed is None:
        if parent is not None:
            raise ServiceError(_("工委是组织树的根，不能设置上级组织。"), field="parent")
        return
    parents = [choice_label(OrgType, t) for t in OrgType.values if t in allowed]
    if parent is None:
        raise ServiceError(
            _("%(type)s必须有上级组织（%(parents)s）。")
            % {"type": type_label, "parents": enumeration(parents)},
            field="parent",
        )
    if parent.type not in allowed:
        raise ServiceError(
            _("%(type)s只能设在%(parents)s之下，不能设在%(parent_type)s“%(parent)s”之下。")
            % {
                "type": type_label,
                "parents": alternatives(parents),
                "parent_type": choice_label(OrgType, parent.type),
                "parent": parent.name,
            },
            field="parent",
        )


def _validate(data: dict[str, Any], instance: Org | None) -> None:
    errors: dict[str, list[str]] = {}
    if not (data.get("code") or "").strip():
        errors.setdefault("code", []).append(_("组织编码不能为空。"))
    if not (data.get("name") or "").strip():
        errors.setdefault("name", []).append(_("组织名称不能为空。"))
    if data.get("type") not in OrgType.values:
        errors.setdefault("type", []).append(_("组织类型无效。"))
    code = (data.get("code") or "").strip()
    if code and Org.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
        errors.setdefault("code", []).append(_("组织编码“%(code)s”已存在。") % {"code": code})
    founded, dissolved = data.get("founded_on"), data.get("dissolved_on")
    if founded and dissolved and dissolved < founded:
        errors.setdefault("dissolved_on", []).append(_("撤销日期不能早于成立日期。"))
    if dissolved and dissolved > dt.date.today() and dissolved != getattr(instance, "dissolved_on", None):
        # 撤销 is recorded once decided and in effect: a date ahead would close the organisation's lists and
        # counts before then (checked when entered or changed, like the other dates recorded after the fact)
        errors.setdefault("dissolved_on", []).append(_("撤销日期不能晚于今天：请在撤销后填写。"))
    years = data.get("term_years")
    if years is not None and not 1 <= years <= 10:
        errors.setdefault("term_years", []).append(_("任期年限应在1至10年之间。"))
    _validate_term(data, instance, errors)
    _validate_group(data, instance, errors)
    if bool((data.get("setup_approval_ref") or "").strip()) != bool(data.get("setup_approved_on")):
        field = "setup_approved_on" if data.get("setup_approval_ref") else "setup_approval_ref"
        errors.setdefault(field, []).append(_("组织设置的批准文号和批准日期应同时填写。"))
    if data.get("type") == OrgType.GONGWEI:
        others = Org.objects.filter(type=OrgType.GONGWEI).exclude(pk=getattr(instance, "pk", None))
        if others.exists():
            errors.setdefault("type", []).append(_("只能有一个工委（组织树的根）。"))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(first, errors=errors)
    if data.get("type") in OrgType.values:
        validate_placement(data["type"], data.get("parent"))
    if instance is not None and data.get("parent") is not None and data["parent"].is_within(instance):
        raise ServiceError(_("不能把组织移到它自己或它的下级组织之下。"), field="parent")
    if instance is not None and data.get("type") != instance.type and instance.children.exists():
        for child in instance.children.all():
            validate_placement(child.type, Org(type=data["type"], name=data.get("name", "")))


def _validate_term(data: dict[str, Any], instance: Org | None, errors: dict[str, list[str]]) -> None:
    """本届开始日期: not before the organisation was founded, not after today; a 党小组 has no term (no 届, no
    换届: EL-01 sets the terms of 党委, 党总支 and 党支部). Checked when the term, the founding date or the type is
    entered or changed, so an organisation recorded earlier can still be edited for anything else."""
    fields = ("term_started_on", "term_years", "founded_on", "type")
    if instance is not None and all(data.get(f) == getattr(instance, f) for f in fields):
        return
    start, founded = data.get("term_started_on"), data.get("founded_on")
    if data.get("type") == OrgType.XIAOZU:
        if start or data.get("term_years"):
            field = "term_started_on" if start else "term_years"
            errors.setdefault(field, []).append(_("党小组不设任期，不填写本届开始日期和任期年限。"))
        return
    if start and founded and start < founded:
        errors.setdefault("term_started_on", []).append(
            _("本届开始日期不能早于成立日期（%(date)s）。") % {"date": f"{founded:%Y-%m-%d}"}
        )
    if start and start > dt.date.today():
        errors.setdefault("term_started_on", []).append(_("本届开始日期不能晚于今天：请在换届选举后填写。"))


def _validate_group(data: dict[str, Any], instance: Org | None, errors: dict[str, list[str]]) -> None:
    """A 党小组 is not a 党支部: it is not marked 离退休党支部, and the approval of an organisation's form (组织设置批准:
    a 党支部 of 50 members or more, a 党总支 of fewer than 50 or 100 and more) does not concern it. Refused when
    entered or changed, or when an organisation becomes a 党小组, so one recorded earlier can still be edited."""
    if data.get("type") != OrgType.XIAOZU:
        return
    fields = ("is_retiree_branch", "setup_approval_ref", "setup_approved_on", "type")
    if instance is not None and all(data.get(f) == getattr(instance, f) for f in fields):
        return
    if data.get("is_retiree_branch"):
        errors.setdefault("is_retiree_branch", []).append(
            _("党小组不是党支部，不能标为离退休党支部：请标在其所属党支部上。")
        )
    if (data.get("setup_approval_ref") or "").strip() or data.get("setup_approved_on"):
        field = (
            "setup_approval_ref" if (data.get("setup_approval_ref") or "").strip() else "setup_approved_on"
        )
        errors.setdefault(field, []).append(_("党小组不填写组织设置批准文号和批准日期。"))


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    clean = {k: data.get(k) for k in ORG_FIELDS if k in data}
    for key in ("code", "name", "unit", "setup_approval_ref"):
        if key in clean:
            clean[key] = (clean[key] or "").strip()
    if "is_retiree_branch" in clean:
        clean["is_retiree_branch"] = bool(clean["is_retiree_branch"])
    if clean.get("term_years") in ("", None):
        clean["term_years"] = DEFAULT_TERM_YEARS.get(clean.get("type", ""))
    return clean


@transaction.atomic
def create_org(*, actor, data: dict[str, Any]) -> Org:
    clean = _normalise(data)
    _validate(clean, None)
    parent = clean.get("parent")
    if parent is not None:
        require_org(actor, parent, _("上级组织不在您的管理范围内，不能在其下新增组织。"))
    elif actor is not None and not actor.is_superuser:
        raise OutOfScope(_("只有系统管理员可以创建工委。"))
    org = Org(**clean)
    org.path = f"tmp-{dt.datetime.now().timestamp()}-{id(org)}"
    org.save()
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.depth = org.path.count("/")
    org.save(update_fields=["path", "depth"])
    audit.record(actor=actor, action="create", obj=org, org_path=org.path, after=org_snapshot(org))
    return org


@transaction.atomic
def update_org(*, actor, org: Org, data: dict[str, Any], version: str | None = None) -> Org:
    """Saves an edited organisation. `version`: the organisation's version its edit page showed (core.edits, of
    `org_snapshot`): an organisation changed since is refused (core.edits.Stale), not saved over; None (an import,
    a command) is not checked."""
    org = Org.objects.select_for_update().get(pk=org.pk)
    require_org(actor, org)
    before = org_snapshot(org)
    edits.check(version, before, org)
    merged = {
        **{f: getattr(org, f) for f in ORG_FIELDS},
        **_normalise({**data, "type": data.get("type", org.type)}),
    }
    if "term_years" not in data:
        merged["term_years"] = org.term_years
    _validate(merged, org)
    outgoing: list[Post] = []
    if merged.get("dissolved_on") != org.dissolved_on:
        # 撤销 (or its correction) is the higher organisation's decision, never the organisation's own
        if not higher_in_scope(actor, org):
            raise ServiceError(
                _("撤销日期由上级党组织的管理员填写：%(org)s的上级党组织不在您的管理范围内，未保存。")
                % {"org": org.name},
                field="dissolved_on",
            )
        if merged.get("dissolved_on") is not None:
            outgoing = _dissolution_ready(org, merged["dissolved_on"])
    new_parent = merged.get("parent")
    moved = (new_parent.pk if new_parent else None) != org.parent_id
    if moved:
        if new_parent is None:
            raise ServiceError(_("只有工委可以没有上级组织。"), field="parent")
        require_org(actor, new_parent, _("目标上级组织不在您的管理范围内，未移动。"))
    if (merged.get("setup_approval_ref") or "", merged.get("setup_approved_on")) != (
        org.setup_approval_ref,
        org.setup_approved_on,
    ):  # the approval of the organisation's form is the higher organisation's record, never its own
        try:
            require_higher(actor, org)
        except ServiceError as exc:
            raise ServiceError(exc.message, field="setup_approval_ref") from None
    for key, value in merged.items():
        setattr(org, key, value)
    if moved:
        old_path = org.path
        audit.changed(old_path)  # the former ancestors and 单位 are affected too
        new_path = new_parent.path + path_segment(org.pk)
        # Re-root the whole subtree in one UPDATE.
        Org.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)),
            depth=F("depth") + (new_path.count("/") - old_path.count("/")),
        )
        org.path, org.depth = new_path, new_path.count("/")
    org.save()
    after = org_snapshot(org)
    if after != before:
        audit.record(actor=actor, action="update", obj=org, org_path=org.path, before=before, after=after)
    if outgoing:
        end_posts(actor=actor, posts=outgoing, on=org.dissolved_on, note="组织撤销，职务随之终止")
    return org


# --- 撤销 (dissolution) ---------------------------------------------------------------------------------------

# What else must be settled before an organisation is dissolved on a date, registered by the apps above `orgs`
# from their `AppConfig.ready()` (movements: pending 组织关系转接): (the organisation, its subtree's ids, the
# 撤销日期) → what must be done first, one sentence each (empty: nothing).
DissolutionCheck = Callable[[Org, list[int], dt.date], list[str]]
_dissolution_checks: list[DissolutionCheck] = []


def register_dissolution_check(check: DissolutionCheck) -> None:
    if check not in _dissolution_checks:
        _dissolution_checks.append(check)


def _dissolution_ready(org: Org, on: dt.date) -> list[Post]:
    """Refuses to dissolve `org` on `on` (its last day) while, after that day, members are still on its roll
    (in it or in an organisation below it), an organisation below it is still open, or what the apps above
    register is unsettled (pending 转接). Returns the posts in the subtree still held after `on`: the dissolution
    ends them on `on` (党章: a committee exists only with its organisation). A post that starts after `on` is
    refused: it must be corrected first. A fixed number of queries."""
    subtree = list(Org.objects.subtree(org).values_list("id", "name", "dissolved_on", "path"))
    ids = [row[0] for row in subtree]
    todo: list[str] = []
    after = on + dt.timedelta(days=1)
    # members still on the roll the day after (reverse relation of members.Member: no import of the app above)
    on_roll = Q(members__inactive_from__isnull=True) | Q(members__inactive_from__gt=after)
    # the members it holds itself (or in an organisation below already dissolved by then): those of an organisation
    # below still open are that one's to settle first (said below), not counted twice
    holding = [
        pk for pk, _name, dissolved, _path in subtree if pk == org.pk or (dissolved and dissolved <= on)
    ]
    n_members = Org.objects.filter(pk__in=holding).aggregate(n=Count("members", filter=on_roll))["n"]
    if n_members and org.type == OrgType.XIAOZU:
        todo.append(
            _("还有%(n)s名党员编在本党小组，请先在党员名册中把他们调整到党支部或其他党小组")
            % {"n": n_members}
        )
    elif n_members:
        todo.append(_("还有%(n)s名党员在册，请先办理组织关系转接（转往其他党组织）") % {"n": n_members})
    open_below = [
        name
        for pk, name, dissolved, _path in subtree
        if pk != org.pk and (dissolved is None or dissolved > on)
    ]
    if open_below:
        shown = open_below[:5]
        more = _("等%(n)s个") % {"n": len(open_below)} if len(open_below) > len(shown) else ""
        todo.append(
            _("下级组织%(orgs)s%(more)s尚未撤销，请先撤销下级组织（撤销日期不晚于%(date)s）")
            % {"orgs": enumeration(f"“{n}”" for n in shown), "more": more, "date": f"{on:%Y-%m-%d}"}
        )
    for check in _dissolution_checks:
        todo.extend(check(org, ids, on))
    if todo:
        raise ServiceError(
            _("“%(org)s”还不能撤销：%(todo)s。")
            % {"org": org.name, "todo": pgettext("sentence separator", "；").join(todo)},
            field="dissolved_on",
        )
    held = list(
        Post.objects.filter(org_id__in=ids)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .select_related("org", "member")
        .order_by("org__path", "title", "started_on")
    )
    late = [p for p in held if p.started_on >= on]
    if late:
        p = late[0]
        raise ServiceError(
            _("%(name)s的%(org)s%(title)s职务自%(date)s起任，不早于撤销日期：请先核对该职务。")
            % {
                "name": p.member.name,
                "org": p.org.name,
                "title": choice_label(PostTitle, p.title),
                "date": f"{p.started_on:%Y-%m-%d}",
            },
            field="dissolved_on",
        )
    return held


@transaction.atomic
def delete_org(*, actor, org: Org) -> None:
    org = Org.objects.select_for_update().get(pk=org.pk)
    require_org(actor, org)
    if org.children.exists() or org.members.exists() or org.posts.exists() or org.role_assignments.exists():
        raise ServiceError(
            _("该组织下还有下级组织、党员、职务或授权记录，不能删除；如已撤销，请填写撤销日期。")
        )
    before = org_snapshot(org)
    audit.record(actor=actor, action="delete", obj=org, org_path=org.path, before=before)
    try:
        org.delete()
    except (ProtectedError, RestrictedError) as exc:  # records of other apps (meetings, 民主评议 …) name it
        held = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        kinds = sorted({str(obj._meta.verbose_name) for obj in held})
        raise ServiceError(
            _("该组织已有%(records)s等记录，不能删除；如已撤销，请填写撤销日期。")
            % {"records": enumeration(kinds)}
        ) from exc  # the transaction is rolled back: the audit event above is not kept


# --- party posts -------------------------------------------------------------------------------------

POST_FIELDS = ("member", "org", "title", "started_on", "ended_on")


def post_snapshot(post: Post) -> dict[str, Any]:
    return {
        "member": post.member.name,
        "org": post.org.code,
        "title": chinese_label(PostTitle, post.title),
        "started_on": post.started_on,
        "ended_on": post.ended_on,
    }


def _validate_post(data: dict[str, Any], instance: Post | None) -> None:
    org, title = data.get("org"), data.get("title")
    started, ended = data.get("started_on"), data.get("ended_on")
    if org is None or data.get("member") is None or not started:
        raise ServiceError(_("党员、组织和任职日期都必须填写。"))
    if title not in allowed_titles(org.type):
        raise ServiceError(
            _("%(type)s不设“%(title)s”职务。")
            % {"type": choice_label(OrgType, org.type), "title": choice_label(PostTitle, title)},
            field="title",
        )
    if ended and ended <= started:
        raise ServiceError(_("离任日期应晚于任职日期。"), field="ended_on")
    _validate_holder(data["member"], org, title, started, ended)
    _validate_single(org, title, started, ended, instance)
    duplicate = Post.objects.filter(member=data["member"], org=org, title=title, started_on=started).exclude(
        pk=getattr(instance, "pk", None)
    )
    if duplicate.exists():
        raise ServiceError(_("该党员在该组织的同一职务、同一任职日期已有记录。"))


def _validate_holder(member, org: Org, title: str, started: dt.date, ended: dt.date | None) -> None:
    """Who may hold the post over its period: a member on the roll (joined, and not yet 停止党籍, 出党, 死亡 or
    转出: `inactive_from`, the first day off the roll, ends every post), and for a committee post a 正式党员 (选举条例
    第五条, EL-05: a 预备党员 has no 被选举权; a 党小组长 is not elected to a committee and is not refused)."""
    if member.joined_on and started < member.joined_on:
        raise ServiceError(
            _("任职日期不能早于%(name)s的入党日期（%(date)s）。")
            % {"name": member.name, "date": f"{member.joined_on:%Y-%m-%d}"},
            field="started_on",
        )
    off = member.inactive_from
    if off is not None and started >= off:
        raise ServiceError(
            _("%(name)s自%(date)s起已不在党员名册（党籍状态：%(status)s），不能担任职务。")
            % {"name": member.name, "date": f"{off:%Y-%m-%d}", "status": member.get_status_display()},
            field="member",
        )
    if off is not None and (ended is None or ended > off):
        raise ServiceError(
            _("%(name)s自%(date)s起已不在党员名册（党籍状态：%(status)s），离任日期应不晚于%(date)s。")
            % {"name": member.name, "date": f"{off:%Y-%m-%d}", "status": member.get_status_display()},
            field="ended_on",
        )
    if title in COMMITTEE_TITLES and (member.confirmed_on is None or started < member.confirmed_on):
        label = choice_label(PostTitle, title)
        if member.confirmed_on is None:
            message = _("%(name)s是预备党员，没有被选举权，不能担任%(title)s；转正后再任命。") % {
                "name": member.name,
                "title": label,
            }
        else:
            message = _(
                "%(name)s于%(date)s转正，此前是预备党员，没有被选举权：%(title)s的任职日期不能早于转正日期。"
            ) % {"name": member.name, "date": f"{member.confirmed_on:%Y-%m-%d}", "title": label}
        raise ServiceError(message, field="member")


# One holder at a time: the 书记 of an organisation, the 党小组长 of a 党小组.
SINGLE_TITLES = frozenset({PostTitle.SECRETARY, PostTitle.GROUP_LEADER})


def _validate_single(
    org: Org, title: str, started: dt.date, ended: dt.date | None, instance: Post | None
) -> None:
    if title not in SINGLE_TITLES:
        return
    overlapping = Post.objects.filter(org=org, title=title).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=started)
    )
    if ended is not None:
        overlapping = overlapping.filter(started_on__lt=ended)
    other = overlapping.exclude(pk=getattr(instance, "pk", None)).select_related("member").first()
    if other is None:
        return
    held = (
        _("%(start)s至%(end)s")
        % {"start": f"{other.started_on:%Y-%m-%d}", "end": f"{other.ended_on:%Y-%m-%d}"}
        if other.ended_on
        else _("%(start)s起") % {"start": f"{other.started_on:%Y-%m-%d}"}
    )
    raise ServiceError(
        _(
            "“%(org)s”同一时期只能有一名%(title)s：%(name)s任%(title)s（%(held)s）与本次任职时间重叠。"
            "请先填写其离任日期，或调整本次任职日期。"
        )
        % {"org": org.name, "title": choice_label(PostTitle, title), "name": other.member.name, "held": held},
        field="started_on",
    )


def post_starts_too_late(post: Post, on: dt.date, on_label: str | None = None) -> str:
    """Why `post` cannot end on `on` with the change that ends it (its holder leaving, a status change …): it was
    recorded as starting that day or later. Names both days and what to do: check the date of the change
    (`on_label`, default 离任日期), or have the post's start corrected in its organisation's posts first."""
    values = {
        "name": post.member.name,
        "org": post.org.name,
        "title": choice_label(PostTitle, post.title),
        "date": f"{post.started_on:%Y-%m-%d}",
        "label": on_label or _("离任日期"),
        "on": f"{on:%Y-%m-%d}",
    }
    if post.started_on == on:
        return (
            _(
                "%(name)s在%(org)s担任的%(title)s职务应于%(label)s（%(on)s）随之终止，但该职务的任职日期登记的"
                "也是%(on)s，不能在任职当天终止。请核对%(label)s；如任职日期登记有误，请先由%(org)s在其现任职务中"
                "更正，再办理。"
            )
            % values
        )
    return (
        _(
            "%(name)s在%(org)s担任的%(title)s职务应于%(label)s（%(on)s）随之终止，但该职务的任职日期登记为"
            "%(date)s，晚于%(label)s，不能在任职之前终止。请核对%(label)s；如任职日期登记有误，请先由%(org)s在其"
            "现任职务中更正，再办理。"
        )
        % values
    )


def end_posts(
    *,
    actor,
    posts: Iterable[Post],
    on: dt.date,
    note: str,
    on_label: str | None = None,
    field: str | None = None,
) -> list[Post]:
    """Ends `posts` on `on` (their 离任日期) because their holder or their organisation left: a dissolution
    (`update_org`), a member's transfer or change of status (movements). The caller has checked the actor's scope
    over that change inside its transaction (accepting a transfer needs only the receiving side's), so no scope is
    checked here; each post's end is recorded with `note`. Every post must have started before `on`: a post
    recorded from `on` or later is refused, naming `on` by `on_label` (the caller's date: 接收日期, 生效日期 …;
    default 离任日期), on `field` of the caller's form."""
    ended = []
    for post in posts:
        if post.ended_on is not None and post.ended_on <= on:
            continue
        if post.started_on >= on:
            raise ServiceError(post_starts_too_late(post, on, on_label), field=field)
        before = post_snapshot(post)
        post.ended_on = on
        post.save(update_fields=["ended_on"])
        audit.record(
            actor=actor,
            action="update",
            obj=post,
            org_path=post.org.path,
            before=before,
            after=post_snapshot(post),
            note=note,
        )
        ended.append(post)
    return ended


@transaction.atomic
def create_post(*, actor, data: dict[str, Any]) -> Post:
    clean = {k: data.get(k) for k in POST_FIELDS}
    _validate_post(clean, None)
    require_org(actor, clean["org"], _("该组织不在您的管理范围内，不能任命职务。"))
    post = Post.objects.create(**clean)
    audit.record(actor=actor, action="create", obj=post, org_path=post.org.path, after=post_snapshot(post))
    return post


@transaction.atomic
def update_post(*, actor, post: Post, data: dict[str, Any], version: str | None = None) -> Post:
    """Saves an edited post. `version`: the post's version its edit page showed (core.edits, of `post_snapshot`): a
    post changed since (edited, or ended by a transfer or a dissolution) is refused (core.edits.Stale), not saved
    over; None (an import, a command) is not checked."""
    post = Post.objects.select_for_update().select_related("org", "member").get(pk=post.pk)
    require_org(actor, post.org)
    before = post_snapshot(post)
    edits.check(version, before, post)
    clean = {
        **{k: getattr(post, k) for k in POST_FIELDS},
        **{k: v for k, v in data.items() if k in POST_FIELDS},
    }
    _validate_post(clean, post)
    if clean["org"].pk != post.org_id:
        require_org(actor, clean["org"], _("目标组织不在您的管理范围内。"))
    for key, value in clean.items():
        setattr(post, key, value)
    post.save()
    after = post_snapshot(post)
    if after != before:
        audit.record(
            actor=actor, action="update", obj=post, org_path=post.org.path, before=before, after=after
        )
    return post


@transaction.atomic
def delete_post(*, actor, post: Post) -> None:
    post = Post.objects.select_for_update().select_related("org", "member").get(pk=post.pk)
    require_org(actor, post.org)
    audit.record(actor=actor, action="delete", obj=post, org_path=post.org.path, before=post_snapshot(post))
    post.delete()


# --- approvals by a higher organisation (上级批准) ----------------------------------------------------------


def higher_in_scope(actor, org: Org, scope: Scope | None = None) -> bool:
    """Whether `actor` administers an organisation strictly above `org`: who may record a higher organisation's
    approval of it (`require_higher` refuses the others). Pages offer an approval only when this holds and say
    otherwise who records it, so no button leads to a refusal. `actor` None is the system itself; `scope`: the
    actor's (default: read afresh). No query: the ancestors' ids and paths are the prefixes of `org.path`."""
    if actor is None:
        return True
    scope = scope if scope is not None else fresh_scope(actor)
    return any(
        scope.covers(_Above(int(path.rstrip("/").rsplit("/", 1)[-1]), path))
        for path in org.ancestor_paths()[:-1]
    )


class _Above(NamedTuple):
    """An ancestor as `Scope.covers` reads it (id and path), known from a descendant's path."""

    pk: int
    path: str


def require_higher(actor, org: Org, approver: Org | None = None) -> None:
    """Refuses to record a higher organisation's approval (上级批准) of `org` unless the approving organisation is
    strictly above `org` and within the actor's scope: no organisation approves itself, and a 支部管理员 cannot
    record the 党委's decision on its own branch. `approver`: the approving organisation when the record names
    one (审批党组织); otherwise any organisation above `org` that the actor administers will do (the approving
    body is then written as text). Called inside the write's transaction; `actor` None is the system itself."""
    if approver is not None and not (approver.pk != org.pk and org.path.startswith(approver.path)):
        raise ServiceError(
            _("审批党组织应为%(org)s的上级党组织，本组织不能批准自己的事项。") % {"org": org.name},
            field="approver_org",
        )
    if actor is None:
        return
    scope = fresh_scope(actor)
    if approver is not None:
        if not scope.covers(approver):
            raise ServiceError(
                _("上级批准应由审批党组织（%(org)s）的管理员登记，您不能登记本组织的上级批准。")
                % {"org": approver.name}
            )
        return
    if not higher_in_scope(actor, org, scope):
        raise ServiceError(
            _("上级批准应由上级党组织的管理员登记：%(org)s的上级党组织不在您的管理范围内，未登记。")
            % {"org": org.name}
        )
