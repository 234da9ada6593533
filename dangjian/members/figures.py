"""Kept member figures per organisation (`OrgFigures`): what the dashboard and the organisation pages show of
the roll, read from one row per organisation instead of counting 60,000 members per request.

- The members counted are those on the roll (党籍 正常), as the 党员名册 lists them by default: a member transferred
  out, deceased, who left the party or whose 党籍 is suspended keeps the record but is not counted.
- `refresh(orgs)` recounts the members directly in `orgs` (default: every organisation) in one GROUP BY
  and writes the rows (an upsert, then a delete of the organisations left without members). The kept-results
  refresh runs it (`compliance.kept.refresh`): after every write that records an audit event with an
  organisation's path (a member added, moved — the former branch is named too —, removed, its category or
  work status changed), nightly in full, and at the end of `dangjian seed`.
- The readers sum the rows of the organisations the user administers (`Scope.org_q`), plus the user's own
  member record when it sits outside them (a member always sees themself): the same numbers as counting
  `Member.objects.visible_to(user)`, in one query over the organisations (and one for the own record of a
  user whose scope is not the whole tree).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from dangjian.accounts.scope import scope_for
from dangjian.members.choices import Category, MemberStatus, WorkStatus
from dangjian.members.models import Member, OrgFigures
from dangjian.orgs.models import Org

BATCH = 2000
FIGURES = ("members", "formal", "probationary", "active", "retired", "mobile")

_COUNTS = {
    "members": Count("id"),
    "formal": Count("id", filter=Q(category=Category.FORMAL)),
    "probationary": Count("id", filter=Q(category=Category.PROBATIONARY)),
    "active": Count("id", filter=Q(work_status=WorkStatus.ACTIVE)),
    "retired": Count("id", filter=Q(work_status=WorkStatus.RETIRED)),
    "mobile": Count("id", filter=Q(is_mobile=True)),
}


def refresh(orgs: QuerySet[Org] | None = None) -> int:
    """Recounts the figures of `orgs` (a queryset; None: every organisation) and writes the rows that changed:
    two reads (the count, the kept rows) and at most an upsert and a delete (in batches of 2,000) whatever the
    number of organisations. Returns the number of organisations with members."""
    members = Member.objects.filter(status=MemberStatus.NORMAL)
    kept = OrgFigures.objects.all()
    if orgs is not None:
        ids = orgs.order_by().values("pk")
        members = members.filter(org__in=ids)
        kept = kept.filter(org__in=ids)
    counted = {
        org_id: tuple(values)
        for org_id, *values in members.order_by()
        .values_list("org_id")
        .annotate(**_COUNTS)
        .values_list("org_id", *FIGURES)
    }
    with transaction.atomic():
        known = {org_id: tuple(values) for org_id, *values in kept.values_list("org_id", *FIGURES)}
        changed = [
            OrgFigures(org_id=org_id, **dict(zip(FIGURES, values, strict=True)))
            for org_id, values in counted.items()
            if known.get(org_id) != values
        ]
        # an upsert: two refreshes of one organisation at once both write, neither fails
        OrgFigures.objects.bulk_create(
            changed,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["org"],
            update_fields=list(FIGURES),
        )
        gone = sorted(known.keys() - counted.keys())  # organisations left without members
        for i in range(0, len(gone), BATCH):
            OrgFigures.objects.filter(org_id__in=gone[i : i + BATCH]).delete()
    return len(counted)


@dataclass(frozen=True)
class Own:
    """The user's own member record when it sits outside the organisations the user administers."""

    org_id: int
    org_path: str
    values: dict[str, int]


def _own_outside(user) -> Own | None:
    """One query, only for a user with a member record whose scope is not the whole tree (once per user
    object, as the scope)."""
    scope = scope_for(user)
    if not scope.member_id or scope.is_superuser or scope.everything:
        return None
    cached = getattr(user, "_dangjian_own_figures", None)
    if cached is None:
        cached = (_read_own(scope),)
        try:
            user._dangjian_own_figures = cached
        except AttributeError:
            pass
    return cached[0]


def _read_own(scope) -> Own | None:
    """Counted by the same definitions as the kept rows (`_COUNTS`)."""
    row = (
        Member.objects.filter(pk=scope.member_id, status=MemberStatus.NORMAL)
        .exclude(scope.org_q("org__"))
        .values("org_id", "org__path")
        .annotate(**_COUNTS)
        .order_by("org_id")
        .first()
    )
    if row is None:
        return None
    return Own(row["org_id"], row["org__path"], {name: row[name] for name in FIGURES})


def administered(user) -> QuerySet[OrgFigures]:
    """The kept figures of the organisations the user administers (deny by default)."""
    scope = scope_for(user)
    if not scope.is_admin:
        return OrgFigures.objects.none()
    return OrgFigures.objects.filter(scope.org_q("org__"))


def totals(user) -> dict[str, int]:
    """The figures of the members the user sees (FIGURES → n): one aggregate query (two with an own record
    outside the scope)."""
    found = administered(user).aggregate(**{name: Sum(name) for name in FIGURES})
    result = {name: found[name] or 0 for name in FIGURES}
    own = _own_outside(user)
    if own is not None:
        for name, n in own.values.items():
            result[name] += n
    return result


def per_prefix(user, prefix_len: int) -> dict[str, int]:
    """Members the user sees per organisation path prefix of `prefix_len` characters (the organisations one
    level below the top of the scope): one GROUP BY over the kept rows (plus the own record's query)."""
    rows = (
        administered(user)
        .order_by()
        .annotate(prefix=Substr("org__path", 1, prefix_len))
        .values_list("prefix")
        .annotate(n=Sum("members"))
    )
    found = dict(rows)
    own = _own_outside(user)
    if own is not None:
        key = own.org_path[:prefix_len]
        found[key] = found.get(key, 0) + 1
    return found


def per_org(user, root: Org | None = None) -> dict[int, int]:
    """Members the user sees directly in each organisation (in `root`'s subtree when given): one query over the
    kept rows (plus the own record's)."""
    qs = administered(user)
    if root is not None:
        qs = qs.filter(org__path__startswith=root.path)
    found = dict(qs.values_list("org_id", "members"))
    own = _own_outside(user)
    if own is not None and (root is None or own.org_path.startswith(root.path)):
        found[own.org_id] = found.get(own.org_id, 0) + 1
    return found


def below(user, org: Org) -> Iterable[tuple[int, str, int]]:
    """(organisation id, its path, members the user sees directly in it) for the organisations strictly below
    `org` with members: one query over the kept rows (plus the own record's)."""
    rows = list(
        administered(user)
        .filter(org__path__startswith=org.path)
        .exclude(org=org)
        .values_list("org_id", "org__path", "members")
    )
    own = _own_outside(user)
    if own is not None and own.org_path.startswith(org.path) and own.org_id != org.pk:
        rows.append((own.org_id, own.org_path, 1))
    return rows
