"""Writes of 述职评议. Each service validates, checks scope inside its transaction (`require_org` on the
campaign's owner; an upload: on the subject's organisation; a vote: that the voter is the actor's own member
record), writes and records an audit event; a refused write raises ServiceError and changes nothing.

A vote (`cast_vote`) writes, in one transaction, the voter's Participation row, one added to each counter chosen
(Tally: `F("online") + 1`, no row per rating) and an audit event that records the participation and never a
rating."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext as _

from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.appraisals.choices import (
    EDITABLE_STATES,
    MISSING_ONLY_STATES,
    RATING_ORDER,
    STATE_ORDER,
    UPLOAD_STATES,
    ParticipantRole,
    ParticipantSource,
    State,
)
from dangjian.appraisals.models import (
    Campaign,
    CampaignItem,
    CampaignParticipant,
    Participation,
    Subject,
    Tally,
)
from dangjian.appraisals.params import AppraisalParams, load_params
from dangjian.core import audit
from dangjian.core.choices import chinese_label, choice_label
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.members.models import Member
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType, PostTitle
from dangjian.orgs.models import Org, Post

REPORT_MAX_BYTES = 20 * 1024 * 1024
# the final 述职报告: Word or PDF, and the first bytes each must start with (a renamed file is refused)
REPORT_TYPES: dict[str, bytes] = {"docx": b"PK\x03\x04", "pdf": b"%PDF"}
TITLE_MAX = 100
ITEM_NAME_MAX = 50
MAX_ITEMS = 10


def default_report_year(opened_on: dt.date) -> int:
    """The year of work the reports cover: the previous year for a campaign opened in January–March (the
    usual time to report on last year), else the same year."""
    return opened_on.year - 1 if opened_on.month <= 3 else opened_on.year


def snapshot(c: Campaign) -> dict[str, Any]:
    return {
        "owner": c.owner.code,
        "year": c.year,
        "report_year": c.report_year,
        "title": c.title,
        "state": chinese_label(State, c.state),
        "opened_on": c.opened_on,
        "voting_from": c.voting_from,
        "voting_to": c.voting_to,
        "closed_on": c.closed_on,
        "roles": [chinese_label(ParticipantRole, r) for r in c.roles],
        "paper_ballots": c.paper_ballots,
    }


def _locked(c: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().select_related("owner").get(pk=c.pk)


def _state_in(c: Campaign, states: Iterable[str]) -> None:
    if c.state not in states:
        raise ServiceError(
            _("本次述职评议当前处于“%(state)s”阶段，不能进行此项操作。")
            % {"state": choice_label(State, c.state)}
        )


def _may_complete(c: Campaign, *, has: bool, replacing: str) -> None:
    """A report or a 述职日期 is written until the campaign closes; after the closing only a missing one is added
    (`replacing`: the refusal when one is already there)."""
    if c.state in MISSING_ONLY_STATES:
        if has:
            raise ServiceError(replacing)
        return
    _state_in(c, UPLOAD_STATES)


def closing_gaps(subjects: Iterable[Subject]) -> tuple[list[Subject], list[Subject]]:
    """The subjects without a 述职日期 and those without an uploaded final report (org and secretary loaded)."""
    subjects = list(subjects)
    return [s for s in subjects if s.reported_on is None], [s for s in subjects if not s.report]


def describe_gaps(no_date: Sequence[Subject], no_report: Sequence[Subject]) -> str:
    """ "未登记述职日期：赵某（甲一党支部）；未上传述职报告：…" — who, with their organisation."""

    def who(rows: Sequence[Subject]) -> str:
        return enumeration(
            [_("%(name)s（%(org)s）") % {"name": s.secretary.name, "org": s.org.name} for s in rows]
        )

    parts = []
    if no_date:
        parts.append(_("未登记述职日期：%(who)s") % {"who": who(no_date)})
    if no_report:
        parts.append(_("未上传述职报告：%(who)s") % {"who": who(no_report)})
    return _("；").join(parts)


def subject_types(owner: Org, params: AppraisalParams | None = None) -> list[str]:
    """The organisation types a campaign of `owner` takes as subjects (parameters): none for other owners."""
    params = params or load_params()
    if owner.type == OrgType.GONGWEI:
        return list(params.subject_types.gongwei)
    if owner.type == OrgType.DANGWEI:
        return list(params.subject_types.dangwei)
    return []


# --- a campaign, its items and participants -------------------------------------------------------------


def create_campaign(
    *,
    actor,
    owner: Org,
    year: int,
    opened_on: dt.date,
    title: str = "",
    report_year: int | None = None,
    voting_to: dt.date | None = None,
) -> Campaign:
    """Opens the 述职评议 of `owner` (the 工委 or a 党委) held in `year`, on the work of `report_year` (default:
    `default_report_year`), with the default 测评 items and weights of the parameters. Refused: another type of
    owner, a date outside the year, a second campaign of the owner in the year, out of scope."""
    if owner is None:
        raise ServiceError(_("请选择组织述职评议的工委或机关党委。"), field="owner")
    if owner.type not in (OrgType.GONGWEI, OrgType.DANGWEI):
        raise ServiceError(
            _("述职评议由工委或机关党委组织，“%(org)s”是%(type)s。")
            % {"org": owner.name, "type": choice_label(OrgType, owner.type)},
            field="owner",
        )
    if not isinstance(opened_on, dt.date):
        raise ServiceError(_("请填写开始日期。"), field="opened_on")
    if opened_on.year != year:
        raise ServiceError(_("开始日期应在%(year)s年内。") % {"year": year}, field="opened_on")
    report_year = default_report_year(opened_on) if report_year is None else report_year
    if report_year not in (year - 1, year):
        raise ServiceError(
            _("述职年度应为%(prev)s年或%(year)s年。") % {"prev": year - 1, "year": year}, field="report_year"
        )
    if voting_to is not None and voting_to < opened_on:
        raise ServiceError(_("测评截止日期不能早于开始日期。"), field="voting_to")
    title = (title or "").strip() or _("%(org)s%(year)s年度书记抓党建述职评议") % {
        "org": owner.name,
        "year": report_year,
    }
    if len(title) > TITLE_MAX:
        raise ServiceError(_("名称不超过%(n)s字。") % {"n": TITLE_MAX}, field="title")
    params = load_params()
    with transaction.atomic():
        require_org(actor, owner, _("所选组织不在您的管理范围内，未开展述职评议。"))
        if Campaign.objects.filter(owner=owner, year=year).exists():
            raise ServiceError(
                _("%(org)s已开展%(year)s年的述职评议。") % {"org": owner.name, "year": year}, field="year"
            )
        campaign = Campaign.objects.create(
            owner=owner,
            year=year,
            report_year=report_year,
            title=title,
            opened_on=opened_on,
            voting_to=voting_to,
            roles=[ParticipantRole.COMMITTEE.value],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        d = params.default_items
        CampaignItem.objects.bulk_create(
            [
                CampaignItem(
                    campaign=campaign, name=d.overall.name, weight=d.overall.weight, order=0, overall=True
                )
            ]
            + [
                CampaignItem(campaign=campaign, name=i.name, weight=i.weight, order=n)
                for n, i in enumerate(d.others, start=1)
            ]
        )
        audit.record(
            actor=actor, action="create", obj=campaign, org_path=owner.path, after=snapshot(campaign)
        )
    return campaign


def eligible_orgs(campaign: Campaign, params: AppraisalParams | None = None):
    """The active organisations of the owner's subtree whose secretaries the campaign may take (a queryset)."""
    owner = campaign.owner
    return (
        Org.objects.subtree(owner)
        .filter(type__in=subject_types(owner, params), dissolved_on__isnull=True)
        .exclude(pk=owner.pk)
        .order_by("path")
    )


def secretaries_of(orgs: Sequence[Org], on: dt.date) -> dict[int, Member]:
    """Each organisation's 书记 on `on` (the earliest appointed, if two overlap), one query."""
    found: dict[int, Member] = {}
    for post in (
        Post.objects.current(on)
        .filter(org__in=[o.pk for o in orgs], title=PostTitle.SECRETARY)
        .select_related("member")
        .order_by("started_on", "pk")
    ):
        found.setdefault(post.org_id, post.member)
    return found


def add_subjects(
    *, actor, campaign: Campaign, orgs: Sequence[Org], on: dt.date | None = None
) -> list[Subject]:
    """Adds organisations whose secretaries report: each of the owner's subject types (a 工委: 党组 and 党委; a
    党委: 党总支 and 党支部) in its subtree, with its 书记 on `on` (today) from the posts. Refused as a whole: an
    organisation of another type or outside the owner, one without a 书记, one already in, after the 测评
    opened, out of scope."""
    on = on or dt.date.today()
    orgs = list(orgs)
    if not orgs:
        raise ServiceError(_("请选择述职的组织。"), field="orgs")
    with transaction.atomic():
        c = _locked(campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未修改。"))
        _state_in(c, EDITABLE_STATES)
        eligible = set(eligible_orgs(c).filter(pk__in=[o.pk for o in orgs]).values_list("pk", flat=True))
        wrong = [o.name for o in orgs if o.pk not in eligible]
        if wrong:
            types = enumeration(choice_label(OrgType, t) for t in subject_types(c.owner))
            raise ServiceError(
                _("%(owner)s的述职评议只能由其所属%(types)s的书记述职，不能选择：%(names)s。")
                % {"owner": c.owner.name, "types": types, "names": enumeration(wrong)},
                field="orgs",
            )
        having = set(Subject.objects.filter(campaign=c).values_list("org_id", flat=True))
        already = [o.name for o in orgs if o.pk in having]
        if already:
            raise ServiceError(
                _("%(names)s已在本次述职评议中。") % {"names": enumeration(already)}, field="orgs"
            )
        secretaries = secretaries_of(orgs, on)
        missing = [o.name for o in orgs if o.pk not in secretaries]
        if missing:
            raise ServiceError(
                _("%(names)s在%(date)s没有在任书记，请先在组织管理中任命书记。")
                % {"names": enumeration(missing), "date": f"{on:%Y-%m-%d}"},
                field="orgs",
            )
        created = []
        for o in orgs:
            s = Subject.objects.create(campaign=c, org=o, secretary=secretaries[o.pk])
            audit.record(
                actor=actor,
                action="create",
                obj=s,
                org_path=o.path,
                after={"campaign": c.title, "org": o.code, "secretary": secretaries[o.pk].name},
            )
            created.append(s)
    return created


def remove_subject(*, actor, subject: Subject) -> Subject:
    """Takes an organisation out of the campaign (added by mistake, or no longer reporting) while the campaign is
    still in preparation or in its 述职 step; from the 测评 on the ballots name it and it stays. Its uploaded
    report is deleted with it, once the removal is committed. Returns the removed subject (no longer saved)."""
    with transaction.atomic():
        s = Subject.objects.select_related("org", "secretary", "campaign__owner").get(pk=subject.pk)
        c = _locked(s.campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未修改。"))
        _state_in(c, EDITABLE_STATES)
        audit.record(
            actor=actor,
            action="delete",
            obj=s,
            org_path=s.org.path,
            before={
                "campaign": c.title,
                "org": s.org.code,
                "secretary": s.secretary.name,
                "report": s.report_name or None,
                "reported_on": s.reported_on,
            },
        )
        if s.report:
            storage, name = s.report.storage, s.report.name
            transaction.on_commit(lambda: storage.delete(name))
        s.delete()
    return s


def _parse_weight(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value >= 10000 or value != value.quantize(Decimal("0.01")):
        return None
    return value


def set_items(*, actor, campaign: Campaign, items: Sequence[tuple[str, Any]]) -> list[CampaignItem]:
    """The 测评 items and weights, in order: the first is 综合评价 (its name may be edited, it cannot be left
    out), the others optional. Each weight a positive number with at most two decimals. Until the 测评 opens."""
    rows = [((name or "").strip(), raw) for name, raw in items]
    rows = [(n, w) for n, w in rows if n or str(w or "").strip()]
    if not rows or not rows[0][0]:
        raise ServiceError(_("综合评价是必备的测评项目。"), field="items")
    if len(rows) > MAX_ITEMS:
        raise ServiceError(_("测评项目不超过%(n)s项。") % {"n": MAX_ITEMS}, field="items")
    parsed = []
    for name, raw in rows:
        if not name:
            raise ServiceError(_("请填写每个测评项目的名称。"), field="items")
        if len(name) > ITEM_NAME_MAX:
            raise ServiceError(_("测评项目名称不超过%(n)s字。") % {"n": ITEM_NAME_MAX}, field="items")
        weight = _parse_weight(raw)
        if weight is None:
            raise ServiceError(
                _("“%(name)s”的权重应为大于0的数，最多两位小数。") % {"name": name}, field="items"
            )
        parsed.append((name, weight))
    names = [n for n, _w in parsed]
    if len(set(names)) != len(names):
        raise ServiceError(_("测评项目名称不能重复。"), field="items")
    with transaction.atomic():
        c = _locked(campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未修改。"))
        _state_in(c, EDITABLE_STATES)
        before = {i.name: str(i.weight) for i in c.items.all()}
        overall = c.items.get(overall=True)
        c.items.filter(overall=False).delete()
        overall.name, overall.weight, overall.order = parsed[0][0], parsed[0][1], 0
        overall.save()
        CampaignItem.objects.bulk_create(
            [CampaignItem(campaign=c, name=n, weight=w, order=k) for k, (n, w) in enumerate(parsed[1:], 1)]
        )
        audit.record(
            actor=actor,
            action="update",
            obj=c,
            org_path=c.owner.path,
            before={"items": before},
            after={"items": {n: str(w) for n, w in parsed}},
        )
    return list(c.items.all())


def set_participants(
    *, actor, campaign: Campaign, roles: Iterable[str], members: Iterable[Member]
) -> Campaign:
    """Who receives a 测评票: by roles (该组织委员会委员: the committee posts of the owner and of the subjects'
    organisations; 所属组织全体正式党员: the 正式党员 of the owner's subtree), resolved when the 测评 opens, plus
    the members listed (of the owner's subtree). Until the 测评 opens."""
    roles = sorted(set(roles))
    if any(r not in ParticipantRole.values for r in roles):
        raise ServiceError(_("请选择测评人员范围。"), field="roles")
    members = list(members)
    with transaction.atomic():
        c = _locked(campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未修改。"))
        _state_in(c, EDITABLE_STATES)
        inside = set(
            Member.objects.filter(
                pk__in=[m.pk for m in members], org__path__startswith=c.owner.path
            ).values_list("pk", flat=True)
        )
        outside = [m.name for m in members if m.pk not in inside]
        if outside:
            raise ServiceError(
                _("%(names)s不是%(owner)s所属党员，不能列入测评名单。")
                % {"names": enumeration(outside), "owner": c.owner.name},
                field="members",
            )
        if not roles and not members:
            raise ServiceError(_("请选择测评人员范围或列出测评人员。"), field="roles")
        before = snapshot(c) | {"listed": c.participants.count()}
        c.roles = roles
        c.save(update_fields=["roles"])
        c.participants.all().delete()
        CampaignParticipant.objects.bulk_create(
            [
                CampaignParticipant(campaign=c, member_id=pk, source=ParticipantSource.LISTED)
                for pk in sorted(inside)
            ]
        )
        audit.record(
            actor=actor,
            action="update",
            obj=c,
            org_path=c.owner.path,
            before=before,
            after=snapshot(c) | {"listed": len(inside)},
        )
    return c


def resolve_participants(c: Campaign, on: dt.date) -> dict[int, str]:
    """member id → source: the listed members, then the roles' members on `on` (three queries at most)."""
    found = dict(c.participants.values_list("member_id", "source"))
    if ParticipantRole.COMMITTEE in c.roles:
        org_ids = [c.owner_id, *c.subjects.values_list("org_id", flat=True)]
        for member_id in (
            Post.objects.current(on)
            .filter(org_id__in=org_ids, title__in=COMMITTEE_TITLES)
            .filter(Q(member__inactive_from__isnull=True) | Q(member__inactive_from__gt=on))
            .values_list("member_id", flat=True)
        ):
            found.setdefault(member_id, ParticipantSource.COMMITTEE)
    if ParticipantRole.MEMBERS in c.roles:
        for member_id in (
            Member.objects.on_roll(on)
            .filter(org__path__startswith=c.owner.path, category="formal")
            .filter(Q(confirmed_on__isnull=True) | Q(confirmed_on__lte=on))
            .values_list("pk", flat=True)
        ):
            found.setdefault(member_id, ParticipantSource.MEMBERS)
    return found


def advance(
    *,
    actor,
    campaign: Campaign,
    on: dt.date | None = None,
    expected: str | None = None,
    confirm_gaps: bool = False,
) -> Campaign:
    """Moves the campaign to its next state. To 述职: at least one subject. To 测评: the participants are fixed
    (roles resolved on `on`), the counters created (subject × item × rating) and `voting_from` dated. To 已结束:
    `closed_on` dated; while a secretary has no 述职日期 or no uploaded report (`closing_gaps`), only with
    `confirm_gaps` (the page's "仍然结束" box), else refused naming them. `expected`: the state the page showed — a
    form sent twice is refused instead of skipping a state."""
    on = on or dt.date.today()
    with transaction.atomic():
        c = _locked(campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未修改。"))
        if expected is not None and c.state != expected:
            raise ServiceError(
                _("本次述职评议已进入“%(state)s”阶段，请刷新页面后再操作。")
                % {"state": choice_label(State, c.state)}
            )
        if c.state == State.CLOSED:
            raise ServiceError(_("本次述职评议已结束。"))
        if on < c.opened_on:
            raise ServiceError(_("日期不能早于开始日期。"))
        before = snapshot(c)
        nxt = STATE_ORDER[STATE_ORDER.index(c.state) + 1]
        subjects = list(c.subjects.select_related("org", "secretary"))
        after_extra: dict[str, Any] = {}
        if nxt == State.REPORTING and not subjects:
            raise ServiceError(_("请先添加述职的组织。"))
        if nxt == State.VOTING:
            if not subjects:
                raise ServiceError(_("请先添加述职的组织。"))
            found = resolve_participants(c, on)
            if not found:
                raise ServiceError(_("没有测评人员：请选择测评人员范围或列出测评人员。"))
            listed = set(c.participants.values_list("member_id", flat=True))
            CampaignParticipant.objects.bulk_create(
                [
                    CampaignParticipant(campaign=c, member_id=pk, source=source)
                    for pk, source in sorted(found.items())
                    if pk not in listed
                ]
            )
            items = list(c.items.all())
            Tally.objects.bulk_create(
                [
                    Tally(campaign=c, subject=s, item=i, rating=r)
                    for s in subjects
                    for i in items
                    for r in RATING_ORDER
                ]
            )
            c.voting_from = on
            after_extra = {"participants": len(found)}
        if nxt == State.CLOSED:
            no_date, no_report = closing_gaps(subjects)
            if (no_date or no_report) and not confirm_gaps:
                raise ServiceError(
                    _(
                        "还有书记的述职情况不完整（%(gaps)s），未结束。结束后测评结果不能再改动，缺少的述职日期和"
                        "述职报告仍可补登。请先补齐；确需现在结束，请勾选“仍然结束”后再提交。"
                    )
                    % {"gaps": describe_gaps(no_date, no_report)}
                )
            if no_date or no_report:
                # how many, not whose: the event sits on the owner's path, where a viewer of the owner alone must not
                # learn the organisations below it (the subjects' own pages show what each lacks)
                after_extra = {"closed_without_date": len(no_date), "closed_without_report": len(no_report)}
            c.closed_on = on
            if c.voting_to is None or c.voting_to > on:
                c.voting_to = on
        c.state = nxt
        c.save()
        audit.record(
            actor=actor,
            action="update",
            obj=c,
            org_path=c.owner.path,
            before=before,
            after=snapshot(c) | after_extra,
        )
    return c


# --- the final 述职报告 ------------------------------------------------------------------------------------


def check_report_file(upload) -> str:
    """The extension of an acceptable final report (docx or pdf, at most 20 MB, content matching), or a
    ServiceError in plain Chinese."""
    if upload is None:
        raise ServiceError(_("请选择述职报告文件。"), field="report")
    name = getattr(upload, "name", "") or ""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    if ext not in REPORT_TYPES:
        raise ServiceError(_("述职报告只能上传 Word（.docx）或 PDF 文件。"), field="report")
    if upload.size > REPORT_MAX_BYTES:
        raise ServiceError(_("述职报告文件不能超过 20 MB。"), field="report")
    if upload.size == 0:
        raise ServiceError(_("所选文件是空的，请重新选择。"), field="report")
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(REPORT_TYPES[ext]):
        raise ServiceError(
            _("“%(name)s”的内容不是扩展名所示的格式，请另存为 .docx 或 .pdf 后上传。") % {"name": name},
            field="report",
        )
    return ext


def upload_report(*, actor, subject: Subject, upload, on: dt.date | None = None) -> Subject:
    """The secretary's final 述职报告 (the draft completed with the narrative), uploaded by an administrator of
    the subject's organisation (or of the owner, which covers it); it replaces an earlier upload until the
    campaign closes. After the closing a missing report may still be uploaded (it is the record of the work; the
    scores stay as they are), an uploaded one is no longer replaced."""
    on = on or dt.date.today()
    ext = check_report_file(upload)
    with transaction.atomic():
        s = Subject.objects.select_for_update().select_related("org", "campaign").get(pk=subject.pk)
        require_org(actor, s.org, _("该组织不在您的管理范围内，未上传述职报告。"))
        had = bool(s.report)
        _may_complete(
            s.campaign,
            has=had,
            replacing=_("述职评议已结束，已上传的述职报告不能再替换。"),
        )
        if had:
            s.report.delete(save=False)
        base = os.path.basename(upload.name)[:150]
        s.report.save(f"report.{ext}", upload, save=False)
        s.report_name = base
        s.report_uploaded_on = on
        s.report_uploaded_by = actor if getattr(actor, "pk", None) else None
        s.save(update_fields=["report", "report_name", "report_uploaded_on", "report_uploaded_by"])
        audit.record(
            actor=actor,
            action="update",
            obj=s,
            org_path=s.org.path,
            before={"report": had},
            after={"report": True, "file": base, "uploaded_on": on},
        )
    return s


def record_reported(*, actor, subject: Subject, reported_on: dt.date) -> Subject:
    """The day the secretary gave the report (recorded by the owner), not after today. After the closing only a
    missing day is recorded, not after the closing day."""
    if not isinstance(reported_on, dt.date) or reported_on > dt.date.today():
        raise ServiceError(_("请填写不晚于今天的述职日期。"), field="reported_on")
    with transaction.atomic():
        s = Subject.objects.select_related("org", "campaign__owner").get(pk=subject.pk)
        c = _locked(s.campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未修改。"))
        _may_complete(
            c, has=s.reported_on is not None, replacing=_("述职评议已结束，已登记的述职日期不能再修改。")
        )
        if reported_on < c.opened_on:
            raise ServiceError(_("述职日期不能早于述职评议的开始日期。"), field="reported_on")
        if c.closed_on is not None and reported_on > c.closed_on:
            raise ServiceError(
                _("述职日期不能晚于述职评议的结束日期（%(date)s）。") % {"date": c.closed_on.isoformat()},
                field="reported_on",
            )
        before = {"reported_on": s.reported_on}
        s.reported_on = reported_on
        s.save(update_fields=["reported_on"])
        audit.record(
            actor=actor,
            action="update",
            obj=s,
            org_path=s.org.path,
            before=before,
            after={"reported_on": reported_on},
        )
    return s


# --- 测评: online votes and paper tallies ----------------------------------------------------------------


def cast_vote(
    *, actor, campaign: Campaign, ratings: Mapping[tuple[int, int], str], on: dt.date | None = None
) -> None:
    """The actor's own 测评票: a rating (好/较好/一般/差) of every subject but themself on every item, keyed by
    (subject id, item id). Only during the 测评, only by a participant, once. Adds one to each chosen counter."""
    on = on or dt.date.today()
    member_id = fresh_scope(actor).member_id if actor is not None else None
    with transaction.atomic():
        c = _locked(campaign)  # votes of one campaign are serialised
        if member_id is None or not c.participants.filter(member_id=member_id).exists():
            raise ServiceError(_("只有本次述职评议的测评人员本人可以投票。"))
        _state_in(c, [State.VOTING])
        if Participation.objects.filter(campaign=c, voter_id=member_id).exists():
            raise ServiceError(_("您已参加本次述职评议测评，不能重复投票。"))
        subjects = [s for s in c.subjects.all() if s.secretary_id != member_id]
        items = list(c.items.all())
        expected = {(s.pk, i.pk) for s in subjects for i in items}
        wanted = {(int(k[0]), int(k[1])): v for k, v in ratings.items()}
        if set(wanted) != expected or any(v not in RATING_ORDER for v in wanted.values()):
            raise ServiceError(_("请对每一名书记的每个测评项目选择一个等次。"), field="ratings")
        try:
            with transaction.atomic():
                participation = Participation.objects.create(campaign=c, voter_id=member_id, voted_on=on)
        except IntegrityError:  # a concurrent vote of the same voter
            raise ServiceError(_("您已参加本次述职评议测评，不能重复投票。")) from None
        counters = {
            (subject_id, item_id, rating): pk
            for pk, subject_id, item_id, rating in c.tallies.values_list(
                "pk", "subject_id", "item_id", "rating"
            )
        }
        chosen = [counters[(subject_id, item_id, rating)] for (subject_id, item_id), rating in wanted.items()]
        # one UPDATE rewrites every counter of the campaign, adding one to those chosen: every row gets the same
        # new version, so the transaction id (PostgreSQL's xmin) that a counter now carries — which is also the
        # Participation row's — is on all of them and tells nothing about which were chosen
        Tally.objects.filter(campaign=c).update(
            online=F("online") + Case(When(pk__in=chosen, then=Value(1)), default=Value(0))
        )
        voter_path = Member.objects.filter(pk=member_id).values_list("org__path", flat=True).first()
        audit.record(  # that the member voted, never how; filed under the voter's organisation
            actor=actor,
            action="create",
            obj=participation,
            org_path=voter_path or c.owner.path,
            after={"campaign": c.pk, "voted_on": on},
        )


def record_paper_tallies(
    *, actor, campaign: Campaign, paper_ballots: int, counts: Mapping[tuple[int, int], Mapping[str, int]]
) -> Campaign:
    """The paper 测评票: how many were collected and, per subject and item, the number of each rating (at most
    the ballots collected). Replaces what was entered before; only during the 测评."""
    if not isinstance(paper_ballots, int) or paper_ballots < 0:
        raise ServiceError(_("请填写收回的纸质测评票数。"), field="paper_ballots")
    with transaction.atomic():
        c = _locked(campaign)
        require_org(actor, c.owner, _("该述职评议不在您的管理范围内，未登记测评票。"))
        _state_in(c, [State.VOTING])
        # every participant has one 测评票, online or on paper: paper ballots beyond those who did not vote online
        # are a miscount (and would lift the ballots past the threshold that hides the results)
        voters = c.participants.count()
        online = Participation.objects.filter(campaign=c).count()
        if paper_ballots + online > voters:
            raise ServiceError(
                _(
                    "收回纸质测评票%(paper)s张，加上网上投票%(online)s人，共%(total)s张，"
                    "多于测评人员（%(voters)s人）：每名测评人员只有一张测评票，请核对。"
                )
                % {
                    "paper": paper_ballots,
                    "online": online,
                    "total": paper_ballots + online,
                    "voters": voters,
                },
                field="paper_ballots",
            )
        tallies = list(c.tallies.select_related("subject__secretary", "subject__org", "item"))
        sums: dict[tuple[int, int], int] = {}
        for t in tallies:
            value = int(counts.get((t.subject_id, t.item_id), {}).get(t.rating) or 0)
            if value < 0:
                raise ServiceError(_("票数不能为负数。"), field="counts")
            t.paper = value
            key = (t.subject_id, t.item_id)
            sums[key] = sums.get(key, 0) + value
        # each secretary with their organisation: one secretary may report for two organisations
        over = {
            (t.subject_id, t.item_id): t for t in tallies if sums[(t.subject_id, t.item_id)] > paper_ballots
        }
        if over:
            named = [
                _("%(name)s（%(org)s，%(item)s）")
                % {"name": t.subject.secretary.name, "org": t.subject.org.name, "item": t.item.name}
                for t in sorted(over.values(), key=lambda t: (t.subject.org.path, t.item.order, t.item_id))
            ]
            raise ServiceError(
                _("%(names)s的各等次票数之和超过收回的纸质测评票数（%(n)s张），请核对。")
                % {"names": enumeration(named), "n": paper_ballots},
                field="counts",
            )
        before = snapshot(c)
        Tally.objects.bulk_update(tallies, ["paper"])
        c.paper_ballots = paper_ballots
        c.save(update_fields=["paper_ballots"])
        audit.record(
            actor=actor, action="update", obj=c, org_path=c.owner.path, before=before, after=snapshot(c)
        )
    return c
