"""Dashboard statistics within a user's scope: a constant number of GROUP BY queries, whatever the
number of organisations and members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from dangjian.accounts.choices import Role
from dangjian.accounts.scope import scope_for
from dangjian.members import figures
from dangjian.members.choices import Category, WorkStatus
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import PATH_SEGMENT, Org

SEGMENT_LEN = PATH_SEGMENT + 1
TOP_GROUPS = 15


@dataclass
class MemberStats:
    total: int = 0
    formal: int = 0
    probationary: int = 0
    active: int = 0
    retired: int = 0
    mobile: int = 0


@dataclass
class Dashboard:
    org_total: int
    org_types: list[tuple[str, str, int]]  # (type, label, count) in OrgType order
    members: MemberStats
    groups: list[tuple[str, int]]  # (organisation name, members), the largest TOP_GROUPS first
    group_level: str  # what a bar stands for, e.g. "党委/党组"
    group_total: int = 0  # how many such organisations have members
    scope_lines: list[str] = field(default_factory=list)
    roots: list[tuple[int, str]] = field(default_factory=list)  # (id, name) of the organisations granted

    def chart_data(self) -> dict:
        m = self.members
        return {
            "category": [
                {"name": str(Category.FORMAL.label), "value": m.formal},
                {"name": str(Category.PROBATIONARY.label), "value": m.probationary},
            ],
            "work_status": [
                {"name": str(WorkStatus.ACTIVE.label), "value": m.active},
                {"name": str(WorkStatus.RETIRED.label), "value": m.retired},
            ],
            "groups": {"names": [g[0] for g in self.groups], "values": [g[1] for g in self.groups]},
            "labels": {"category": _("人员类别"), "work_status": _("工作状态"), "members": _("党员")},
        }


def org_type_counts(user) -> dict[str, int]:
    """Current (not dissolved) organisations per type. One GROUP BY query."""
    rows = Org.objects.visible_to(user).active().order_by().values_list("type").annotate(n=Count("id"))
    return dict(rows)


def member_stats(user) -> MemberStats:
    """Members by category, work status and 流动党员 flag, summed from the kept figures of the organisations
    (`members.figures`): one aggregate query (plus one for an own record outside the scope)."""
    found = figures.totals(user)
    return MemberStats(
        total=found["members"],
        formal=found["formal"],
        probationary=found["probationary"],
        active=found["active"],
        retired=found["retired"],
        mobile=found["mobile"],
    )


def _group_depth(user) -> int:
    """Bars are the organisations one level below the top of the user's scope."""
    scope = scope_for(user)
    depths = [g.path.count("/") for g in scope.admin_grants]
    top = min(depths) if depths and not scope.is_superuser else 1
    return top + 1


def build_dashboard(user) -> Dashboard:
    """Five queries: organisation types, member figures, members per group (both from the kept figures of
    the organisations, not the roll), and the names of the groups and of the user's scope roots (one query
    for both); an admin whose own member record sits outside the scope: one more for it per figure."""
    scope = scope_for(user)
    types = org_type_counts(user)
    members = member_stats(user)
    depth = _group_depth(user)
    prefix_len = depth * SEGMENT_LEN
    per_prefix = figures.per_prefix(user, prefix_len)
    grant_ids = [g.org_id for g in scope.admin_grants]
    named = Org.objects.filter(Q(path__in=list(per_prefix)) | Q(pk__in=grant_ids)).values_list(
        "pk", "path", "name"
    )
    names_by_path, names_by_pk = {}, {}
    for pk, path, name in named:
        names_by_path[path] = name
        names_by_pk[pk] = name
    # members of a scope root itself, in none of its 下级组织 (a branch's members outside its 党小组): its own bar
    roots = {g.path for g in scope.admin_grants}

    def bar_name(path: str) -> str:
        name = names_by_path.get(path, path)
        return _("%(org)s（直属）") % {"org": name} if path in roots else name

    ranked = sorted(((bar_name(p), n) for p, n in per_prefix.items()), key=lambda item: (-item[1], item[0]))
    group_total = len(ranked)
    ranked = ranked[:TOP_GROUPS]  # the largest ones; a catch-all bar would dwarf them
    scope_lines = []
    if scope.is_superuser:
        scope_lines.append(_("系统管理员：全部组织"))
    for g in scope.admin_grants:
        suffix = _("（含下级）") if g.include_descendants else ""
        line = _("%(role)s：%(org)s") % {"role": Role(g.role).label, "org": names_by_pk.get(g.org_id, "")}
        scope_lines.append(line + suffix)
    level = _("党委/党组") if depth == 2 else _("下级组织")
    return Dashboard(
        org_total=sum(types.values()),
        org_types=[(t, label, types.get(t, 0)) for t, label in OrgType.choices],
        members=members,
        groups=ranked,
        group_level=level,
        group_total=group_total,
        scope_lines=scope_lines,
        roots=[(g.org_id, names_by_pk[g.org_id]) for g in scope.admin_grants if g.org_id in names_by_pk],
    )


def own_member(user) -> Member | None:
    """The member record linked to the user, read through the user's scope. One query."""
    if not user.member_id:
        return None
    return (
        Member.objects.visible_to(user).select_related("org", "org__parent").filter(pk=user.member_id).first()
    )


def _count_at_once(scope) -> bool:
    """Whether the home page's summary counts the scope's results directly (two queries: the stamps, the counts)
    rather than through the 单位 tallies (four): for a branch, which is never a whole 单位. By role, not by size,
    so that a page's queries do not depend on the number of organisations."""
    return not scope.oversees


@dataclass
class ComplianceSummary:
    tally: Any  # compliance.selectors.Tally over the scope's kept results of this year
    meta: Any  # compliance.kept.KeptMeta: when they were evaluated
    version: int


def compliance_summary(user) -> ComplianceSummary | None:
    """The scope's kept compliance results of this year, counted (two queries for a branch; four over the stamps
    and the 单位 tallies for a 党委 or the 工委, whatever its size); None when none are kept yet."""
    from dangjian.compliance import kept
    from dangjian.compliance.rulebook import load_ruleset
    from dangjian.compliance.selectors import Tally

    orgs = Org.objects.visible_to(user)
    ruleset = load_ruleset()
    year = dt.date.today().year
    meta = kept.kept_meta(orgs, year=year, ruleset=ruleset)
    if meta is None:
        return None
    tally = Tally()
    if _count_at_once(scope_for(user)):  # a branch: its results counted at once (one query)
        for status, n in kept.kept_status_counts(orgs, year=year, ruleset=ruleset):
            tally.add(status, n)
        return ComplianceSummary(tally, meta, ruleset.version)
    units = kept.kept_units(orgs, year=year, ruleset=ruleset)
    for _unit, _rule, status, n in kept.kept_counts(orgs, units, year=year, ruleset=ruleset):
        tally.add(status, n)
    return ComplianceSummary(tally, meta, ruleset.version)
