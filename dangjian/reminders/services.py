"""The daily reminders: the workbench's items (`portal.workbench.work_list`, read once for every organisation)
turned into notifications for the people who must act, and a person's own notifications marked as read.

Which items: an overdue item; an item not yet due whose category has a lead time (rules/reminders.yaml:
集中交纳日 3 days ahead, 换届 6 months, development steps 14 days) once its due date is that near. Who: the
支部管理员 (users with a branch_admin role on the item's organisation, or on an organisation above it with its
subtree). Never the same item to the same person twice within `repeat_after_days`. The 党委/工委 administrators get
one short summary a day of the overdue items in their scope. Set-based: the work list's fixed number of queries,
one for the branches' administrators, one for the 党委/工委's, one for what was told lately, one for who turned the
in-app channel off, batched inserts.

Nobody else is told anything: a member without an administrator role gets no reminder on any channel (their own
dates are on their home page, 我的党费 and their calendar feed), and the preferences page says so instead of
offering them channels (`receives_reminders`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.scope import Scope, fresh_scope, scope_for
from dangjian.compliance.workbench import WorkItem
from dangjian.core import audit
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.portal.workbench import work_list
from dangjian.reminders.models import CalendarFeed, Frequency, Notification, Preference
from dangjian.reminders.params import RemindersParams, load_params

ITEM_ROLES = (Role.BRANCH_ADMIN,)  # told each item of their organisations
SUMMARY_ROLES = (Role.DANGWEI_ADMIN, Role.GONGWEI_ADMIN)  # told a daily summary of the overdue items


def receives_reminders(scope: Scope) -> bool:
    """Whether the daily task tells the user of `scope` anything: they hold a role of ITEM_ROLES or
    SUMMARY_ROLES (a superuser without one is told nothing)."""
    roles = {*ITEM_ROLES, *SUMMARY_ROLES}
    return any(g.role in roles for g in scope.grants)


class _Everyone:
    """The task reads every organisation's work list as a superuser would: one pass, not one per person."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = id = member_id = None

    def __init__(self) -> None:
        self._dangjian_scope = Scope(user_id=None, member_id=None, is_superuser=True)


def item_key(item: WorkItem) -> str:
    """The item's stable identity: category, organisation, what (the rule, or the title), and when: its period (a
    missed month, a 待办's period, last year's result), else the due date of a provider's item (the contact due
    with a member abroad: the next one is another item). A kept result's item of this year is one item whatever
    day it names: its deadline is the earliest of those it finds (a new secretary's training, a member's transfer
    or contact), or none until the records give one (a term start not registered), and changes with them while
    the result still fails — it is not told again within the week for that."""
    what = item.rule_id or item.title
    if item.period or item.rule_id:
        when = item.period
    else:
        when = item.due.isoformat() if item.due else ""
    return hashlib.sha256(f"{item.category}|{item.org.id}|{what}|{when}".encode()).hexdigest()


def is_told(item: WorkItem, on: dt.date, params: RemindersParams) -> bool:
    """An overdue item, or one due within its category's lead time."""
    if item.overdue:
        return True
    lead = params.lead_days.get(item.category)
    return lead is not None and item.due is not None and 0 <= (item.due - on).days <= lead


class _Recipients:
    """Who hears of an item: the users holding one of `roles` on its organisation, or on an organisation above it
    with its subtree (one query for all of them; an item's recipients are found along its path, not by trying
    every assignment)."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        self.exact: dict[int, set[int]] = defaultdict(set)
        self.subtree: dict[str, set[int]] = defaultdict(set)
        rows = RoleAssignment.objects.filter(role__in=roles, user__is_active=True).values_list(
            "user_id", "org_id", "org__path", "include_descendants"
        )
        for user_id, org_id, path, descendants in rows:
            self.exact[org_id].add(user_id)
            if descendants:
                self.subtree[path].add(user_id)

    def of(self, item: WorkItem) -> set[int]:
        found = set(self.exact.get(item.org.id, ()))
        parts = item.org.path.split("/")[:-1]
        for n in range(1, len(parts) + 1):
            found |= self.subtree.get("/".join(parts[:n]) + "/", set())
        return found


@dataclass
class Report:
    items: int = 0  # items due to be told today
    created: int = 0  # notifications written


@transaction.atomic
def send_reminders(*, on: dt.date | None = None) -> Report:
    """Writes today's notifications (the system's own write: one audit event for the run)."""
    on = on or timezone.localdate()
    params = load_params()
    items = [i for i in work_list(_Everyone(), on=on).items if is_told(i, on, params)]
    report = Report(items=len(items))
    if not items:
        return report
    admins = _Recipients(ITEM_ROLES)
    since = on - dt.timedelta(days=params.repeat_after_days - 1)
    keys = {item_key(i): i for i in items}
    told = set(Notification.objects.filter(day__gte=since, day__lte=on).values_list("recipient_id", "key"))
    quiet = set(Preference.objects.filter(in_app=False).values_list("user_id", flat=True))
    now = timezone.now()
    new = []
    for key, item in keys.items():
        for user_id in sorted(admins.of(item)):
            if (user_id, key) in told:
                continue
            told.add((user_id, key))
            new.append(
                Notification(
                    recipient_id=user_id,
                    key=key,
                    category=item.category,
                    org_id=item.org.id,
                    title=item.title[:200],
                    text=item.detail,
                    link=item.link.url if item.link else "",
                    due=item.due,
                    period=item.period,
                    overdue=item.overdue,
                    day=on,
                    read_at=now if user_id in quiet else None,  # in-app off: no unread badge
                )
            )
    new += _summaries(items, on, told, quiet, now)
    Notification.objects.bulk_create(new, batch_size=500)
    report.created = len(new)
    if new:
        record_run(on, gettext("生成提醒%(n)s条") % {"n": len(new)})
    return report


def _summaries(items: list[WorkItem], on: dt.date, told: set, quiet: set[int], now) -> list[Notification]:
    """党委/工委 administrators: one short summary a day of the overdue items in their scope (their home page's
    roll-up names the organisations most behind)."""
    overseers = _Recipients(SUMMARY_ROLES)
    late: dict[int, list[WorkItem]] = defaultdict(list)
    for item in items:
        if item.overdue:
            for user_id in overseers.of(item):
                late[user_id].append(item)
    found = []
    for user_id, theirs in sorted(late.items()):
        key = hashlib.sha256(f"summary|{user_id}|{on:%Y-%m-%d}".encode()).hexdigest()
        if (user_id, key) in told:
            continue
        orgs = len({i.org.id for i in theirs})
        found.append(
            Notification(
                recipient_id=user_id,
                key=key,
                category="summary",
                title=gettext("管辖范围内的逾期事项"),
                text=gettext("%(orgs)s个组织共有%(n)s项逾期事项，最落后的组织见首页。")
                % {"orgs": orgs, "n": len(theirs)},
                link=reverse("dashboard"),
                overdue=True,
                day=on,
                read_at=now if user_id in quiet else None,
            )
        )
    return found


def record_run(on: dt.date, note: str) -> None:
    """The daily task's one audit event per step (the system's own write)."""
    audit.record(
        actor=None,
        action="notify",
        object_type="reminders.notification",
        object_repr=f"{on:%Y-%m-%d}",
        note=note,
    )


# --- a person's own notifications ------------------------------------------------------------------------


@transaction.atomic
def mark_read(*, actor, notification: Notification) -> None:
    """The recipient marks one notification as read (another user's is refused and changes nothing)."""
    found = Notification.objects.select_for_update().filter(pk=notification.pk, recipient_id=actor.pk).first()
    if found is None:
        raise OutOfScope()
    if found.read_at is not None:
        return
    found.read_at = timezone.now()
    found.save(update_fields=["read_at"])
    notification.read_at = found.read_at
    audit.record(actor=actor, action="notification_read", obj=found, object_repr=found.title)


@transaction.atomic
def mark_all_read(*, actor) -> int:
    """The recipient marks all their unread notifications as read: one update, one audit event."""
    n = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if n:
        audit.record(
            actor=actor,
            action="notification_read",
            object_type="reminders.notification",
            object_repr=actor.get_username(),
            note=gettext("全部标为已读：%(n)s条") % {"n": n},
        )
    return n


# --- the calendar feed's secret URL ----------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoke(actor) -> int:
    return CalendarFeed.objects.filter(user_id=actor.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def create_feed(*, actor) -> str:
    """A new secret calendar URL for the actor (the former one, if any, is revoked); returns the token, which
    is shown once and stored only as its hash."""
    if scope_for(actor).system_role:
        raise OutOfScope()
    _revoke(actor)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user_id=actor.pk, token_hash=token_hash(token))
    audit.record(actor=actor, action="calendar_feed_create", obj=feed, object_repr=actor.get_username())
    return token


@transaction.atomic
def revoke_feed(*, actor) -> int:
    """Revokes the actor's calendar URL: a calendar client reading it gets 404 from now on."""
    n = _revoke(actor)
    if n:
        audit.record(
            actor=actor,
            action="calendar_feed_revoke",
            object_type="reminders.calendarfeed",
            object_repr=actor.get_username(),
        )
    return n


def feed_user(token: str):
    """The active user whose unrevoked feed has this token, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return feed.user if feed is not None else None


# --- a person's channels ----------------------------------------------------------------------------------


@transaction.atomic
def set_preferences(
    *, actor, in_app: bool, email: bool, sms: bool, frequency: str, address: str = ""
) -> Preference:
    """The actor's own choice of channels and frequency, and the e-mail address the digest goes to. The e-mail
    and SMS channels are refused to a user who is told nothing (`receives_reminders`): they would never
    deliver."""
    if frequency not in Frequency.values:
        raise ServiceError(gettext("频率无效。"), field="frequency")
    if (email or sms) and not receives_reminders(fresh_scope(actor)):
        raise ServiceError(gettext("工作提醒只发给党组织管理员，您的账号不会收到提醒，不能选择邮件或短信。"))
    address = (address or "").strip()
    if email and not address:
        raise ServiceError(gettext("接收邮件摘要须填写邮箱地址。"), field="address")
    found, _created = Preference.objects.select_for_update().get_or_create(user_id=actor.pk)
    before = {"in_app": found.in_app, "email": found.email, "sms": found.sms, "frequency": found.frequency}
    before["address"] = actor.email
    found.in_app, found.email, found.sms, found.frequency = in_app, email, sms, frequency
    found.save()
    if address != actor.email:
        User.objects.filter(pk=actor.pk).update(email=address)
        actor.email = address
    after = {"in_app": in_app, "email": email, "sms": sms, "frequency": frequency, "address": address}
    audit.record(
        actor=actor, action="update", obj=found, object_repr=actor.get_username(), before=before, after=after
    )
    return found
