"""Writes to the member registry. Validates, checks scope inside the transaction (both the member's
current organisation and the target one), keeps the history of organisation/category/work-status
changes, and records an audit event with personal data masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _

from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.core import audit, edits, idcard
from dangjian.core.choices import choice_label
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.pii import lookup_hash, mask_id_number, mask_phone
from dangjian.core.pinyin import name_key
from dangjian.members.choices import Category, Education, HistoryField, WorkStatus
from dangjian.members.models import Member, MemberHistory
from dangjian.members.references import records_about
from dangjian.orgs.choices import MEMBER_ORG_TYPES, OrgType, chinese_label
from dangjian.orgs.models import Org, Post, PostTitle

MEMBER_FIELDS = (
    "name",
    "id_number",
    "ethnicity",
    "education",
    "phone",
    "category",
    "joined_on",
    "confirmed_on",
    "org",
    "work_status",
    "is_leader",
    "position",
    "is_mobile",
)


def member_snapshot(member: Member) -> dict[str, Any]:
    """What the audit log keeps: personal data masked, choices as Chinese labels."""
    return {
        "name": member.name,
        "id_number": mask_id_number(member.id_number),
        "ethnicity": member.ethnicity,
        "education": chinese_label(Education, member.education) if member.education else "",
        "phone": mask_phone(member.phone),
        "category": chinese_label(Category, member.category),
        "joined_on": member.joined_on,
        "confirmed_on": member.confirmed_on,
        "org": member.org.code if member.org_id else None,
        "work_status": chinese_label(WorkStatus, member.work_status),
        "is_leader": member.is_leader,
        "position": member.position,
        "is_mobile": member.is_mobile,
    }


# the fields the member form edits (流动党员 follows the 外出记录: members.forms.MemberForm)
EDITED_FIELDS = tuple(f for f in MEMBER_FIELDS if f != "is_mobile")


def member_version_fields(member: Member) -> dict[str, Any]:
    """The member's record as its edit page's version covers it (core.edits): the raw values of the fields the
    member form edits. Not the audit snapshot, which masks the 身份证号 and phone: a number corrected in its masked
    digits would not change it. Only ever passed to `edits.version`/`edits.check` (a keyed digest): never logged,
    never shown."""
    fields = {f: getattr(member, f) for f in EDITED_FIELDS if f != "org"}
    fields["org"] = member.org_id
    return fields


def coming_of_age(birth_date: dt.date) -> dt.date:
    """The 18th birthday; for someone born on 29 February, 1 March of a common year."""
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:
        return dt.date(birth_date.year + 18, 3, 1)


def validate_phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "").replace("-", "")
    if value and not (value.isascii() and value.isdigit() and 7 <= len(value) <= 15):
        raise ServiceError(_("手机号码应为7至15位数字。"), field="phone")
    return value


def validate_member_org(org: Org | None) -> None:
    if org is None:
        raise ServiceError(_("请选择所在组织。"), field="org")
    if org.type not in MEMBER_ORG_TYPES:
        raise ServiceError(
            _("党员只能编入党支部或党小组，“%(org)s”是%(type)s。")
            % {"org": org.name, "type": choice_label(OrgType, org.type)},
            field="org",
        )
    if org.is_dissolved:
        raise ServiceError(_("“%(org)s”已撤销，不能编入党员。") % {"org": org.name}, field="org")


# the valid values, read once (a choices class lists them anew on every access)
_CATEGORIES = frozenset(Category.values)
_WORK_STATUSES = frozenset(WorkStatus.values)
_EDUCATIONS = frozenset(Education.values)


def _clean(
    data: dict[str, Any],
    instance: Member | None,
    *,
    registered: Callable[[str], bool] | None = None,
    hash_of: Callable[[str], str] = lookup_hash,
) -> dict[str, Any]:
    """The checked values of a member, or a ServiceError with every error by field.

    `registered(hash)` says whether a 身份证号 (by its keyed hash) is already on the roll; by default one query
    (leaving `instance` out). `hash_of` gives a number's keyed hash (`create_members` computes them once)."""
    clean = {k: data[k] for k in MEMBER_FIELDS if k in data}
    for key in ("name", "ethnicity", "position"):
        if key in clean:
            clean[key] = (clean[key] or "").strip()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    merged = {**({k: getattr(instance, k) for k in MEMBER_FIELDS} if instance else {}), **clean}
    if not merged.get("name"):
        add("name", _("姓名不能为空。"))
    try:
        card = idcard.parse(merged.get("id_number") or "")
        merged["id_number"] = card.number
    except idcard.IdCardError as exc:
        add("id_number", _("身份证号%(reason)s。") % {"reason": exc})
        card = None
    number_hash = ""
    if card is not None:
        number_hash = hash_of(card.number)
        if registered is None:
            taken = Member.objects.filter(id_number_hash=number_hash)
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                add("id_number", id_number_taken())
        elif registered(number_hash):
            add("id_number", id_number_taken())
    try:
        merged["phone"] = validate_phone(merged.get("phone") or "")
    except ServiceError as exc:
        add("phone", exc.message)
    if merged.get("category") not in _CATEGORIES:
        add("category", _("人员类别应为正式党员或预备党员。"))
    if merged.get("work_status") not in _WORK_STATUSES:
        add("work_status", _("工作状态应为在职或离退休。"))
    if merged.get("education") and merged["education"] not in _EDUCATIONS:
        add("education", _("学历无效。"))
    joined, confirmed = merged.get("joined_on"), merged.get("confirmed_on")
    if not joined:
        add("joined_on", _("入党日期不能为空。"))
    elif joined > dt.date.today():
        add("joined_on", _("入党日期不能晚于今天。"))
    if merged.get("category") == Category.FORMAL and not confirmed:
        add("confirmed_on", _("正式党员必须填写转正日期。"))
    if merged.get("category") == Category.PROBATIONARY and confirmed:
        add("confirmed_on", _("预备党员尚未转正，不应填写转正日期。"))
    if joined and confirmed and confirmed <= joined:
        add("confirmed_on", _("转正日期应晚于入党日期。"))
    if card is not None and joined and joined < coming_of_age(card.birth_date):
        add("joined_on", _("入党时未满18周岁，请核对入党日期或身份证号。"))
    try:
        validate_member_org(merged.get("org"))
    except ServiceError as exc:
        add("org", exc.message)
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], errors=errors)
    assert card is not None  # an invalid number is an error above
    merged["sex"], merged["birth_date"] = card.sex, card.birth_date
    merged["id_number_hash"] = number_hash
    merged["is_leader"] = bool(merged.get("is_leader"))
    merged["is_mobile"] = bool(merged.get("is_mobile"))
    merged.setdefault("ethnicity", "汉族")
    merged["ethnicity"] = merged.get("ethnicity") or "汉族"
    merged.setdefault("education", "")
    merged["education"] = merged.get("education") or ""
    merged.setdefault("position", "")
    return merged


# --- people on their way to the roll, kept by the apps above ----------------------------------------------------

# An app above `members` through which people join the roll (pipeline: the applicants of its development cases, whom
# the 支部大会's admission adds as 预备党员) registers from its `AppConfig.ready()` a check, called by `create_member`
# and `create_members` inside their transaction, once per call, after the numbers are checked against the roll and
# the organisations against the scope: (actor=, hashes= the keyed hashes of the 身份证号 to be registered,
# source= the record of that app creating the member, or None) → {hash: why that number may not be registered here}.
# A number it names is refused with that sentence (on 身份证号), nothing written; its own `source` it leaves out.
PendingCheck = Callable[..., dict[str, str]]
_pending_checks: list[PendingCheck] = []


def register_pending_check(check: PendingCheck) -> None:
    if check not in _pending_checks:
        _pending_checks.append(check)


def _pending_refusals(actor, hashes: list[str], source: object | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if hashes:
        for check in _pending_checks:
            for digest, message in check(actor=actor, hashes=hashes, source=source).items():
                found.setdefault(digest, message)
    return found


# An app above `members` that adds members to the roll itself (pipeline: a case's admission adds its 预备党员) registers
# from its `AppConfig.ready()` a check called by `delete_member` inside its transaction: (actor=, member=, source= the
# record of that app deleting them, or None) → why the member is not to be deleted on their own (their record is
# taken off the roll by undoing what added it), or None.
DeleteCheck = Callable[..., str | None]
_delete_checks: list[DeleteCheck] = []


def register_delete_check(check: DeleteCheck) -> None:
    if check not in _delete_checks:
        _delete_checks.append(check)


@transaction.atomic
def create_member(*, actor, data: dict[str, Any], source: object | None = None) -> Member:
    """A new member, validated (`_clean`), within the actor's scope, audited. A 身份证号 an app above keeps on its way
    to the roll (the applicant of a development case not ended) is refused, unless `source` is the record of that
    app adding them (the case's admission: `register_pending_check`)."""
    clean = _clean(data, None)
    require_org(actor, clean["org"], _("所选组织不在您的管理范围内，未新增党员。"))
    refusal = _pending_refusals(actor, [clean["id_number_hash"]], source).get(clean["id_number_hash"])
    if refusal:
        raise ServiceError(refusal, field="id_number")
    member = Member.objects.create(**clean)
    audit.record(
        actor=actor, action="create", obj=member, org_path=member.org.path, after=member_snapshot(member)
    )
    return member


LOOKUP_SIZE = 2000


class MembersRefused(ServiceError):
    """Some of the members given to `create_members` would be refused by `create_member`: `refusals` maps their
    index to the error `create_member` would raise for each. Nothing was written."""

    def __init__(self, refusals: dict[int, ServiceError]):
        first = refusals[min(refusals)]
        super().__init__(first.message, field=first.field, errors=first.errors)
        self.refusals = refusals


@transaction.atomic
def create_members(*, actor, data: list[dict[str, Any]], batch_size: int = 1000) -> list[Member]:
    """New members in bulk, exactly as many `create_member` calls in that order would write them (the same
    checks and messages, one audit event each, in order), with a bounded number of queries: one look-up of
    the numbers already on the roll, one reading of the actor's scope, one call of each pending check (a query),
    the inserts in batches.

    A number registered before, or earlier in `data`, is refused as `create_member` refuses it. If any member
    is refused, nothing is written and `MembersRefused` says which and why."""
    hashes: dict[str, str] = {}
    for item in data:
        try:
            number = idcard.parse(item.get("id_number") or "").number
        except idcard.IdCardError:
            continue
        if number not in hashes:
            hashes[number] = lookup_hash(number)
    taken: set[str] = set()
    values = sorted(hashes.values())
    for start in range(0, len(values), LOOKUP_SIZE):  # SQLite caps IN lists
        found = Member.objects.filter(id_number_hash__in=values[start : start + LOOKUP_SIZE])
        taken.update(found.values_list("id_number_hash", flat=True))

    def hash_of(number: str) -> str:
        return hashes.get(number) or lookup_hash(number)

    scope = fresh_scope(actor)
    refusals: dict[int, ServiceError] = {}
    cleaned: list[dict[str, Any]] = []
    indexes: list[int] = []  # of `data`, of each member in `cleaned`
    for index, item in enumerate(data):
        try:
            clean = _clean(item, None, registered=taken.__contains__, hash_of=hash_of)
            if not scope.covers(clean["org"]):
                raise OutOfScope(_("所选组织不在您的管理范围内，未新增党员。"))
        except ServiceError as exc:
            refusals[index] = exc
            continue
        taken.add(
            clean["id_number_hash"]
        )  # a later row with the same number is refused as already on the roll
        cleaned.append(clean)
        indexes.append(index)
    pending = _pending_refusals(actor, [clean["id_number_hash"] for clean in cleaned], None)
    for index, clean in zip(indexes, cleaned, strict=True):
        if clean["id_number_hash"] in pending:
            refusals[index] = ServiceError(pending[clean["id_number_hash"]], field="id_number")
    if refusals:
        raise MembersRefused(refusals)
    members = Member.objects.bulk_create(
        [Member(**clean, name_pinyin=name_key(clean["name"])) for clean in cleaned], batch_size=batch_size
    )
    audit.record_many(
        [
            audit.build(actor=actor, action="create", obj=m, org_path=m.org.path, after=member_snapshot(m))
            for m in members
        ],
        batch_size=batch_size,
    )
    return members


def _history(member: Member, before: Member, actor, effective_on: dt.date) -> None:
    rows = []
    if before.org_id != member.org_id:
        audit.changed(before.org.path)  # the former branch's counts change too
        rows.append(
            MemberHistory(
                member=member,
                field=HistoryField.ORG,
                old_value=before.org.name,
                new_value=member.org.name,
                old_org=before.org,
                new_org=member.org,
                effective_on=effective_on,
                actor=actor if getattr(actor, "pk", None) else None,
            )
        )
    for field, choices in ((HistoryField.CATEGORY, Category), (HistoryField.WORK_STATUS, WorkStatus)):
        old, new = getattr(before, field), getattr(member, field)
        if old != new:
            rows.append(
                MemberHistory(
                    member=member,
                    field=field,
                    old_value=chinese_label(choices, old),
                    new_value=chinese_label(choices, new),
                    effective_on=effective_on,
                    actor=actor if getattr(actor, "pk", None) else None,
                )
            )
    MemberHistory.objects.bulk_create(rows)


def transfer_pending(member: Member) -> bool:
    """Whether a 组织关系转接 of the member awaits the receiving organisation (one query). Movements' transfers are
    read through their relation to the member (`Member.transfers`), the registry being the layer below movements;
    a transfer accepted later needs the member still in its sending organisation, so the registry does not move
    them meanwhile."""
    transfers = getattr(member, "transfers", None)
    return transfers is not None and transfers.filter(state="pending").exists()


def posts_left_behind(member: Member, target: Org, on: dt.date) -> list[Post]:
    """The posts `member` still holds after `on` in the organisations they would leave by moving from their
    organisation to `target` on `on`: those of their organisation, of those below it, and of those above it that
    do not contain `target` (a 支部委员 moving into a 党小组 of that branch stays 委员), as a 组织关系转接 would end
    them (movements). One query."""
    old = member.org
    held = (
        Post.objects.filter(member=member)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .select_related("org")
        .order_by("org__path", "title", "started_on")
    )
    return [
        p
        for p in held
        if (old.path.startswith(p.org.path) or p.org.path.startswith(old.path))
        and not target.path.startswith(p.org.path)
    ]


def _refuse_posts_left_behind(member: Member, target: Org, on: dt.date) -> None:
    """A change of organisation on the member form corrects the registry (or moves the member between the 党小组 of
    their branch): it does not end posts. While the member holds posts in the organisation they leave, it is
    refused with those posts named; they are ended first (their 离任日期 on the organisation's page), or the member
    is moved by a 组织关系转接, which ends them."""
    posts = posts_left_behind(member, target, on)
    if not posts:
        return
    named = [
        _("%(org)s%(title)s（%(date)s起）")
        % {
            "org": p.org.name,
            "title": choice_label(PostTitle, p.title),
            "date": f"{p.started_on:%Y-%m-%d}",
        }
        for p in posts
    ]
    raise ServiceError(
        _(
            "%(name)s在原所在组织仍担任%(posts)s，不能在此修改所在组织。请先在组织页面为这些职务填写离任日期"
            "（不晚于%(date)s；如系登记错误，更正或删除该职务记录），再修改所在组织；如%(name)s转到其他党组织，"
            "请改为在“党员管理”中发起组织关系转接，接收后其原职务随之终止。"
        )
        % {"name": member.name, "posts": enumeration(named), "date": f"{on:%Y-%m-%d}"},
        field="org",
    )


def _refuse_before_arrival(member: Member, joined_on: dt.date, effective_on: dt.date) -> None:
    """A change of organisation takes effect in the system's organisations, so not before the member was in one: not
    before their 入党日期, nor before their 组织关系转入本系统 when a record says they came later
    (`members.timeline.arrival`; one query). Otherwise the timeline and the past rosters would place them in a
    branch before they arrived."""
    from dangjian.members.timeline import arrival

    came = arrival(member)
    if came is not None and came[0] > joined_on and effective_on < came[0]:
        raise ServiceError(
            _(
                "变更生效日期不能早于%(name)s的组织关系转入本系统的日期（%(date)s）：此前%(name)s不在本系统的党组织。"
                "请填写%(date)s或之后的日期。"
            )
            % {"name": member.name, "date": f"{came[0]:%Y-%m-%d}"},
            field="effective_on",
        )
    if effective_on < joined_on:
        raise ServiceError(
            _("变更生效日期不能早于入党日期（%(date)s）。") % {"date": f"{joined_on:%Y-%m-%d}"},
            field="effective_on",
        )


# --- the person's 姓名 and 身份证号 kept by the apps above ------------------------------------------------------

# An app above `members` that keeps its own copy of a member's 姓名 and 身份证号 (pipeline: the development case that
# admitted them) registers from its `AppConfig.ready()` a follower, called by `update_member` inside its
# transaction, after the member is saved and audited, when either changed: (actor=, member= the member as saved,
# changed= the fields changed, of IDENTITY_FIELDS). It corrects its copy (audited) or refuses with a ServiceError,
# and then nothing is written, the member's correction neither.
IDENTITY_FIELDS = ("name", "id_number")
HIDDEN_DIGITS = ("id_number", "phone")  # the fields the audit snapshot masks
IdentityFollower = Callable[..., None]
_identity_followers: list[IdentityFollower] = []


def register_identity_follower(follower: IdentityFollower) -> None:
    if follower not in _identity_followers:
        _identity_followers.append(follower)


@transaction.atomic
def update_member(
    *,
    actor,
    member: Member,
    data: dict[str, Any],
    effective_on: dt.date | None = None,
    version: str | None = None,
) -> Member:
    """Corrects or changes a member's record (the member form, the members file, the effects of 发展党员 steps):
    validated as a new member is, the history of organisation, category and work status kept, audited with personal
    data masked. A corrected 姓名 or 身份证号 is corrected in the copies the apps above keep (the development case
    of a member admitted through one), in the same transaction (`register_identity_follower`).

    `version`: the member's version the edit page showed (core.edits, of `member_version_fields`): a member changed
    since is refused (core.edits.Stale), not saved over; None (an import, a command, an app above) is not checked."""
    current = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_org(actor, current.org)
    edits.check(version, member_version_fields(current), current)
    clean = _clean(data, current)
    if clean["org"].pk != current.org_id:
        require_org(actor, clean["org"], _("目标组织不在您的管理范围内，未转移该党员。"))
        if transfer_pending(current):
            raise ServiceError(
                _(
                    "%(name)s有一项组织关系转接正在办理（待接收），不能在此修改所在组织：否则该转接将无法接收。"
                    "请先在“党员管理”中由接收组织接收或退回，或由转出组织撤回该转接，再修改。"
                )
                % {"name": current.name},
                field="org",
            )
        if effective_on is not None:
            _refuse_before_arrival(current, clean["joined_on"], effective_on)
        _refuse_posts_left_behind(current, clean["org"], effective_on or dt.date.today())
    before_snapshot = member_snapshot(current)
    before = Member(org=current.org, category=current.category, work_status=current.work_status)
    before.org_id = current.org_id
    identity = {key: getattr(current, key) for key in IDENTITY_FIELDS}
    hidden_before = {key: getattr(current, key) for key in HIDDEN_DIGITS}
    for key, value in clean.items():
        setattr(current, key, value)
    current.save()
    after_snapshot = member_snapshot(current)
    # a 身份证号 or phone corrected only in the digits the snapshot masks is a write too: audited, with a note naming
    # which (never the digits)
    labels = {"id_number": _("身份证号"), "phone": _("手机号码")}
    hidden = [labels[key] for key in HIDDEN_DIGITS if getattr(current, key) != hidden_before[key]]
    masked_only = after_snapshot == before_snapshot and bool(hidden)
    if after_snapshot != before_snapshot or masked_only:
        when = effective_on or dt.date.today()
        if current.category == Category.FORMAL and before.category == Category.PROBATIONARY:
            when = effective_on or current.confirmed_on or when
        _history(current, before, actor, when)
        audit.record(
            actor=actor,
            action="update",
            obj=current,
            org_path=current.org.path,
            before=before_snapshot,
            after=after_snapshot,
            note=_("%(fields)s已更正（所改数字在日志中遮盖）") % {"fields": enumeration(hidden)}
            if masked_only
            else "",
        )
    changed = [key for key in IDENTITY_FIELDS if getattr(current, key) != identity[key]]
    if changed:
        for follower in _identity_followers:
            follower(actor=actor, member=current, changed=changed)
    return current


@transaction.atomic
def delete_member(*, actor, member: Member, note: str = "", source: object | None = None) -> None:
    """Deletes a member entered by mistake, with what is derived from their entry (their history, the 党费 ledger's
    snapshot); refused while any record entered about them exists — those of other apps too, whether the database
    would protect them (a payment, a training) or delete them with the member (a declared 党费 base, a relief, a
    转接, a 党籍状态变更, a talk …) — naming each kind and how many (`references.records_about`, one query), so that
    nothing goes silently: they are deleted or corrected first. A login account linked to them is unlinked once
    disabled (an enabled one refuses the deletion, as it refuses undoing an admission), and a
    development case that admitted them keeps its steps (undoing its admission sets it back).
    `note`: why, for the audit event, when a service of an app above deletes them (an admission undone: it removes
    their absences from organizational life first, and has refused the undo while other records exist); `source`:
    that app's record (the case), which its own check (`register_delete_check`) lets through — a 预备党员 a case's
    admission added is otherwise removed by undoing that admission, not here (the case would stay admitted, with
    no member)."""
    current = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_org(actor, current.org)
    for check in _delete_checks:
        refusal = check(actor=actor, member=current, source=source)
        if refusal:
            raise ServiceError(refusal)
    if current.posts.exists():
        raise ServiceError(_("该党员有党内职务记录，不能删除。"))
    if get_user_model().objects.filter(member=current, is_active=True).exists():
        # unlinked, it would hold the 党员 role with no member behind it
        raise ServiceError(_("该党员的登录账号仍在启用，不能删除：请先由系统管理员停用该账号。"))
    records = records_about(current)
    if records:
        raise ServiceError(
            _("该党员已有以下记录：%(kinds)s，不能删除；确属误录的，请先删除这些记录。")
            % {"kinds": enumeration(records)}
        )
    audit.record(
        actor=actor,
        action="delete",
        obj=current,
        org_path=current.org.path,
        before=member_snapshot(current),
        note=note,
    )
    current.history.all().delete()
    try:
        current.delete()
    except ProtectedError as exc:  # a record entered meanwhile (the check above names them all)
        kinds = sorted({str(o._meta.verbose_name) for o in exc.protected_objects})
        raise ServiceError(
            _("该党员已有以下记录：%(kinds)s，不能删除；确属误录的，请先删除这些记录。")
            % {"kinds": enumeration(kinds)}
        ) from None


def unknown_member_choice() -> str:
    """The one message for a member picked by id who is not within the actor's scope, whether the id exists
    elsewhere or not (the forms' invalid choice says the same)."""
    return _("所选党员不存在或不在您的管理范围内。")


def require_members(actor, members: Iterable, field: str) -> None:
    """Refuses (with `unknown_member_choice`, naming nobody) a reference to a member outside the actor's scope:
    a 代缴人, 参训人员, 谈话人, 入党介绍人 … is resolved within what the actor administers (one query; inside the
    write's transaction, on the assignments as they are now). `actor` None is the system itself."""
    ids = {getattr(m, "pk", m) for m in members if m is not None}
    if not ids or actor is None:
        return
    found = Member.objects.filter(fresh_scope(actor).org_q("org__"), pk__in=ids).count()
    if found != len(ids):
        raise ServiceError(unknown_member_choice(), field=field)


def id_number_taken() -> str:
    """The one message for a 身份证号 already on the roll (checked system-wide): it says how to proceed and never
    where or by whom (no organisation, no name), so that registering cannot be used to locate a person."""
    return _(
        "该身份证号已在系统中登记，不能重复登记。如该党员需转入本组织，请由其现所在党组织发起组织关系转接"
        "（系统内转接），由本组织接收。"
    )


def find_by_id_number(number: str) -> Member | None:
    return Member.objects.filter(id_number_hash=lookup_hash(idcard.normalize(number))).first()
