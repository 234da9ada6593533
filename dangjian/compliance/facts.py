"""Facts for the checks, built set-based: a fixed number of queries for the whole scope, whatever the
number of organisations. The checks read only these dataclasses (no ORM), so they can be tested on
hand-built facts.

The engine's own queries (always the same four; five for a small scope, which first lists the organisations
where its counted members sit so that the roll is read through its organisation index): the organisations;
the posts of the organisations overlapping the year; member counts per organisation on D; the moves between
organisations dated after D (undone, as in meetings.roster). Member counts: a member counts from 入党日期, as 正式党员 from 转正日期
(Member.category is only the current category). An organisation's count is its subtree's: a branch's is its
own plus its 党小组's, a 党总支's or 党委's everything below it (机关条例 第五条、第六条 size the organisation by
its members).

Everything a domain's checks need beyond that (meeting records, 党费 ledgers, development cases …) comes
from the fact providers the domain apps register (`register_facts`), loaded only when the ruleset has a
check that reads them, into `OrgFacts.extra[name]`.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.db.models.lookups import In
from django.utils import translation

from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory, on_roll_q
from dangjian.orgs.choices import COMMITTEE_TITLES, MEMBER_ORG_TYPES, OrgType
from dangjian.orgs.models import Org, Post

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrgRef:
    id: int
    code: str
    name: str
    type: str
    path: str
    unit: str


class PostSpan(NamedTuple):
    member_id: int
    title: str
    started_on: dt.date
    ended_on: dt.date | None = None

    def held_on(self, day: dt.date) -> bool:
        """Held from 任职日期 up to the day before 离任日期 (as Post.objects.current)."""
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)


@dataclass(frozen=True)
class OrgFacts:
    ref: OrgRef
    founded_on: dt.date | None = None
    dissolved_on: dt.date | None = None
    term_start: dt.date | None = None
    term_years: int | None = None
    term_end: dt.date | None = None
    posts: tuple[PostSpan, ...] = ()
    members: int = 0  # on D, 正式 and 预备, in the organisation and everything below it
    formal_members: int = 0  # on D, 正式党员 only
    # the higher organisation's approval of the organisation's form (组织设置批准), when recorded
    setup_approval_ref: str = ""
    setup_approved_on: dt.date | None = None
    # facts of the extra providers the ruleset needs (register_facts): provider name → this org's value
    # (None when the provider has nothing for the organisation)
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


# --- fact providers -------------------------------------------------------------------------------------
#
# A domain adds facts for its checks without touching this module: it registers a loader, and its check
# kinds name the loader in `register(..., facts=("name",))`. The evaluator calls only the loaders its
# ruleset needs. A loader gets (organisation ids subquery, the organisations in path order, year Y, D) and
# returns {org id: value} with a fixed number of queries whatever the number of organisations. A loader
# registered with `context=True` gets one `FactContext` instead, which also carries the rules that read it
# and the posts the engine has loaded.

FactLoader = Callable[..., Mapping[int, Any]]


@dataclass(frozen=True)
class Provider:
    loader: FactLoader
    context: bool = False


@dataclass(frozen=True)
class FactContext:
    ids_sq: Any  # the organisations' ids: a subquery, or a list for a small scope
    orgs: list  # the organisations (Org rows), in path order
    year: int
    as_of: dt.date
    rules: tuple = ()  # the ruleset's rules whose check kinds read this provider
    posts: Mapping[int, tuple[PostSpan, ...]] = field(default_factory=dict)  # org id → its posts
    # the providers loaded by the same build, each with the rules reading it (empty outside build_facts):
    # providers that share a read (the meetings app's three read one scan of the records) size it to all
    loading: Mapping[str, tuple] = field(default_factory=dict)

    def readers(self, name: str) -> tuple:
        """The rules reading provider `name` in this build (this provider's own rules outside a build)."""
        if self.loading:
            return self.loading.get(name, ())
        return self.rules


EXTRA_FACTS: dict[str, Provider] = {}


def register_facts(name: str, *, context: bool = False) -> Callable[[FactLoader], FactLoader]:
    def decorate(loader: FactLoader) -> FactLoader:
        known = EXTRA_FACTS.get(name)
        if known is not None and known.loader is not loader:
            raise RuntimeError(f"fact provider {name!r} registered twice")
        EXTRA_FACTS[name] = Provider(loader, context)
        return loader

    return decorate


def branch_member_orgs(ids_sq) -> Any:
    """The 党支部 among `ids_sq` and their 党小组: where the members counted for a branch sit. A list of ids
    for a small scope (one query now), a subquery otherwise; either way the providers filter members with
    one `org__in`, which the database answers from the member's organisation index."""
    found = Org.objects.filter(
        Q(pk__in=ids_sq, type=OrgType.ZHIBU)
        | Q(parent__in=ids_sq, parent__type=OrgType.ZHIBU, type=OrgType.XIAOZU)
    ).values("pk")
    if isinstance(ids_sq, list):
        memo = _BRANCH_ORGS.get()
        key = tuple(ids_sq)
        if memo is not None and key in memo:  # within one build_facts: the providers share the list
            return memo[key]
        ids = [row["pk"] for row in found]
        if memo is not None:
            memo[key] = ids
        return ids
    return found


# set by build_facts for its duration: the providers of one evaluation read the branches' organisations and
# their members once
_BRANCH_ORGS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("branch_orgs", default=None)


def shared(key: Hashable, compute: Callable[[], Any]) -> Any:
    """`compute()` once per build_facts for every provider asking with the same `key` (a read several
    providers share); computed each time outside a build. Providers loaded at the same time by two threads
    (see `_load_all`) wait for the one computing it."""
    memo = _BRANCH_ORGS.get()
    if memo is None:
        return compute()
    with memo.setdefault(("lock", key), threading.Lock()):  # setdefault is atomic: one lock per key
        if key not in memo:
            memo[key] = compute()
        return memo[key]


def release(key: Hashable, me: str, users: Iterable[str]) -> None:
    """Provider `me` is done with the shared read `key`: once every provider of `users` (those of the build that
    read it) is, the read is dropped, and the providers loaded after them build their facts in its memory instead
    of beside it (a city's scan of the meeting records is about 40 MB). Nothing outside a build."""
    memo = _BRANCH_ORGS.get()
    if memo is None or key not in memo:
        return
    with memo.setdefault(("lock", key), threading.Lock()):  # two threads' providers may finish together
        if key not in memo:
            return
        done = memo.setdefault(("released", key), set())
        done.add(me)
        if done >= set(users):
            del memo[key], memo[("released", key)]


class RollMember(NamedTuple):
    """A member on the roll of a 党支部 of the scope (in the branch or one of its 党小组)."""

    id: int
    name: str
    joined_on: dt.date
    org_id: int  # the branch, or the 党小组 holding them
    org_type: str
    parent_id: int | None
    is_leader: bool  # marked 领导干部 (Member.is_leader, as it is now)
    branch_id: int  # the branch: org_id, or the 党小组's parent (computed once, read by every provider)


def branch_roll(ids_sq, on: dt.date) -> list[RollMember]:
    """The members on the roll on `on` of the 党支部 among `ids_sq` and of their 党小组, by name and id: one
    query, shared by the providers of one evaluation (党费, organizational life, training read the same roll)."""
    # keyed by the scope's ids object, which lives as long as the build_facts that set the memo
    return shared(("roll", id(ids_sq), on), lambda: _read_roll(ids_sq, on))


def _read_roll(ids_sq, on: dt.date) -> list[RollMember]:
    rows = (
        Member.objects.on_roll(on)
        .filter(org__in=branch_member_orgs(ids_sq))
        .order_by("name_pinyin", "name", "id")
        .values_list("id", "name", "joined_on", "org_id", "org__type", "org__parent_id", "is_leader")
    )
    group = OrgType.XIAOZU
    return [
        RollMember(
            pk,
            name,
            joined,
            org_id,
            org_type,
            parent,
            leader,
            parent if org_type == group and parent else org_id,
        )
        for pk, name, joined, org_id, org_type, parent, leader in rows
    ]


def holders(posts: Iterable[PostSpan], title: str, on: dt.date) -> set[int]:
    return {p.member_id for p in posts if p.title == title and p.held_on(on)}


def committee_size(posts: Iterable[PostSpan], on: dt.date) -> int:
    """Committee posts held on `on` (distinct post rows); a branch has a committee from three."""
    return sum(1 for p in posts if p.title in COMMITTEE_TITLES and p.held_on(on))


# From this many paths of one length, `under_paths` compares the rows' path prefix with the set of them (one hashed
# lookup a row) instead of one LIKE per path: a full refresh's part is about 30 单位's subtrees, and 30 LIKEs on each
# of a city's 60,000 members made the part's member counts 310 ms instead of 50.
MANY_PATHS = 4


def under_paths(field: str, paths: Iterable[str]) -> Q:
    """Rows whose `field` (an organisation path) starts with one of `paths` (nothing for no paths)."""
    by_length: dict[int, list[str]] = defaultdict(list)
    for path in paths:
        by_length[len(path)].append(path)
    where = Q(pk__in=[])
    for length, group in sorted(by_length.items()):
        if len(group) >= MANY_PATHS:
            where |= Q(In(Substr(field, 1, length), sorted(group)))
        else:
            for path in group:
                where |= Q(**{f"{field}__startswith": path})
    return where


@dataclass
class _Scope:
    orgs: list[Org]
    ids: set[int]
    ids_sq: Any  # the organisations' ids: a subquery, or a list for a small scope
    ext_sq: QuerySet  # subquery: the organisations and their children
    # paths of the organisations above the branches (党总支, 党委 …) none of whose ancestors is one: their
    # subtrees hold the members they count (usually one path: the scope's top, or a 单位's 党组/党委)
    roots: tuple[str, ...] = ()
    # for a small scope, the ids of those organisations (found once: the members are then read through their
    # organisation index instead of a scan of the whole roll)
    member_org_ids: list[int] | None = None

    def member_orgs_q(self, prefix: str) -> Q:
        """Rows whose organisation (at `prefix`) is where a member counted by the scope sits."""
        if self.member_org_ids is not None:
            return Q(**{f"{prefix}in": self.member_org_ids})
        return Q(**{f"{prefix}in": self.ext_sq}) | under_paths(f"{prefix}path", self.roots)


ORG_FIELDS = (
    "id",
    "code",
    "name",
    "type",
    "path",
    "unit",
    "parent_id",
    "founded_on",
    "dissolved_on",
    "term_started_on",
    "term_years",
    "setup_approval_ref",
    "setup_approved_on",
)


# Up to this many organisations, the providers get the ids as a list rather than a subquery.
SMALL_SCOPE = 500


def _scope(orgs) -> _Scope:
    if not isinstance(orgs, QuerySet) or orgs.query.is_sliced:
        orgs = Org.objects.filter(pk__in=[o.pk for o in orgs])
    rows = list(orgs.order_by("path").only(*ORG_FIELDS))
    ids_sq: Any = orgs.order_by().values("pk")
    if len(rows) <= SMALL_SCOPE:  # a literal list lets the database use its indexes (a unit's refresh)
        ids_sq = [o.pk for o in rows]
    ext_sq = Org.objects.filter(Q(pk__in=ids_sq) | Q(parent__in=ids_sq)).values("pk")
    roots: list[str] = []
    for o in rows:  # path order: an ancestor comes before its descendants
        if o.type not in MEMBER_ORG_TYPES and not any(o.path.startswith(r) for r in roots):
            roots.append(o.path)
    scope = _Scope(rows, {o.pk for o in rows}, ids_sq, ext_sq, tuple(roots))
    if isinstance(ids_sq, list):
        found = Org.objects.filter(Q(pk__in=ext_sq) | under_paths("path", roots)).values_list("pk", flat=True)
        return dataclasses.replace(scope, member_org_ids=list(found))
    return scope


def _posts(scope: _Scope, start: dt.date, end: dt.date) -> dict[int, list[PostSpan]]:
    posts: dict[int, list[PostSpan]] = defaultdict(list)
    rows = (
        Post.objects.filter(org__in=scope.ids_sq, started_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
        .order_by("org_id", "started_on", "id")
        .values_list("org_id", "member_id", "title", "started_on", "ended_on")
    )
    for org_id, *values in rows:
        posts[org_id].append(PostSpan(*values))
    return posts


def _member_counts(scope: _Scope, on: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """(members, 正式党员) on `on` per organisation of the scope, each counting its whole subtree (a branch
    with its 党小组, a 党总支 or 党委 everything below it), from per-organisation counts."""
    direct: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    paths: dict[int, str] = {}
    rows = (
        Member.objects.on_roll(on)
        .filter(scope.member_orgs_q("org__"))
        .values("org_id", "org__path")
        .annotate(total=Count("id"), formal=Count("id", filter=Q(confirmed_on__lte=on)))
        .order_by()
    )
    for row in rows:
        direct[row["org_id"]] = [row["total"], row["formal"]]
        paths[row["org_id"]] = row["org__path"]
    _undo_moves(scope, on, direct, paths)
    in_scope = {o.path: o.pk for o in scope.orgs}
    members: dict[int, int] = defaultdict(int)
    formal: dict[int, int] = defaultdict(int)
    for org_id, (total, formal_count) in direct.items():
        path = paths[org_id]
        end = path.find("/")
        while end != -1:  # the organisation and each of its ancestors, by the prefixes of its path
            target = in_scope.get(path[: end + 1])
            if target is not None:
                members[target] += total
                formal[target] += formal_count
            end = path.find("/", end + 1)
    return members, formal


def _undo_moves(scope: _Scope, on: dt.date, direct: dict, paths: dict) -> None:
    """A member moved after `on` counts where they were on `on` (the earliest later move's origin)."""
    rows = (
        MemberHistory.objects.filter(on_roll_q(on, "member__"), field=HistoryField.ORG, effective_on__gt=on)
        .filter(scope.member_orgs_q("old_org__") | scope.member_orgs_q("member__org__"))
        .order_by("member_id", "-effective_on", "-id")
        .values_list(
            "member_id",
            "old_org_id",
            "old_org__path",
            "member__org_id",
            "member__org__path",
            "member__confirmed_on",
        )
    )
    then: dict[int, tuple] = {}
    now: dict[int, tuple] = {}
    for member_id, old_id, old_path, cur_id, cur_path, confirmed_on in rows:
        now[member_id] = (cur_id, cur_path, confirmed_on)
        if old_id is not None:  # rows come latest first: the last one seen is the earliest move
            then[member_id] = (old_id, old_path)
    for member_id, (old_id, old_path) in then.items():
        cur_id, cur_path, confirmed_on = now[member_id]
        if old_id == cur_id:
            continue
        is_formal = int(confirmed_on is not None and confirmed_on <= on)
        # an organisation outside the scope's subtrees adds to no organisation of the scope (no path prefix)
        for org_id, path, sign in ((cur_id, cur_path, -1), (old_id, old_path, +1)):
            counts = direct[org_id]
            counts[0] += sign
            counts[1] += sign * is_formal
            paths[org_id] = path


# The member counts and the providers are loaded by settings.FACT_THREADS threads for a large scope on PostgreSQL
# (each helper on its own connection): while one thread waits for the database, another builds facts in Python, and the
# database works on another core (a city's facts: 1.35 s instead of 1.65 s on two cores; more threads gain
# nothing, the Python of the facts holds the interpreter's lock). Not inside a transaction, whose uncommitted rows
# another connection would not see, nor on SQLite. Outside a transaction every statement reads its own snapshot
# anyway: two connections read the database as one does.
COUNTS = ":member-counts"  # the job of the member counts, beside the providers' (named after them)


def _parallel(scope: _Scope) -> bool:
    """Whether helpers load the facts: more than one thread set, a large scope (a small scope's few queries don't
    pay for a second connection), PostgreSQL outside a transaction, and a connection to spare."""
    return (
        settings.FACT_THREADS > 1
        and not isinstance(scope.ids_sq, list)
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and _spare_connection(getattr(connection, "pool", None))
    )


def _spare_connection(pool) -> bool:
    """Whether this process's connection pool has a connection to lend now (always, without a pool). A web
    process's pool is sized to its threads: a helper must not make a request wait for one."""
    if pool is None:
        return True
    stats = pool.get_stats()
    return stats.get("pool_available", 0) > 0 or stats.get("pool_size", 0) < pool.max_size


def _connect() -> None:
    connection.ensure_connection()


def _load_all(jobs: list[tuple[str, Callable[[], Any]]], *, threads: int) -> dict[str, Any]:
    """{name: job()} for every job, taken in the order given by `threads` threads: this one, and helpers that take
    jobs once they have their database connection (one that gets it late finds nothing left, and nothing waits
    for it). The first exception is raised once no job is running; no job starts after it. The helpers see this
    build's memo (a copy of the context), use the language active here, and close their connection when done."""
    pending = list(reversed(jobs))
    done: dict[str, Any] = {}
    failed: list[BaseException] = []
    running = [0]  # jobs being run by any thread
    state = threading.Condition()

    def work() -> None:
        while True:
            with state:
                if failed or not pending:
                    return
                name, job = pending.pop()
                running[0] += 1
            try:
                done[name] = job()
            except BaseException as exc:
                with state:
                    failed.append(exc)
            finally:
                with state:
                    running[0] -= 1
                    state.notify_all()

    language = translation.get_language()

    def helper(context: contextvars.Context) -> None:
        try:
            _connect()  # this thread's own connection, before it takes a job
            with translation.override(language):
                context.run(work)
        except Exception:
            log.warning("a helper loading facts stopped; the build goes on without it", exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    for i in range(1, threads):
        threading.Thread(
            target=helper, args=(contextvars.copy_context(),), name=f"facts-{i}", daemon=True
        ).start()
    work()
    with state:
        state.wait_for(lambda: running[0] == 0)
    if failed:
        raise failed[0]
    return done


def build_facts(
    orgs,
    *,
    year: int,
    as_of: dt.date,
    extra: Iterable[str] = (),
    rules: Iterable = (),
) -> list[OrgFacts]:
    """Facts for every organisation of `orgs` (a queryset, already scoped by the caller), in path order,
    for year Y as of D (D clamped into the year). `extra` names the registered fact providers to load
    (unknown names are a KeyError); `rules` are the rules to evaluate (a provider registered with
    `context=True` gets those whose check kinds read it)."""
    token = _BRANCH_ORGS.set({})
    try:
        return _build_facts(orgs, year=year, as_of=as_of, extra=extra, rules=rules)
    finally:
        _BRANCH_ORGS.reset(token)


def _build_facts(orgs, *, year: int, as_of: dt.date, extra: Iterable[str], rules: Iterable) -> list[OrgFacts]:
    from dangjian.compliance.registry import REGISTRY

    start = dt.date(year, 1, 1)
    scope = _scope(orgs)
    posts = {org_id: tuple(spans) for org_id, spans in _posts(scope, start, as_of).items()}
    rules = tuple(rules)
    names = sorted(set(extra))
    loading = {name: tuple(r for r in rules if name in REGISTRY[r.check].facts) for name in names}

    def load(name: str) -> Callable[[], Any]:
        provider = EXTRA_FACTS[name]
        if provider.context:
            context = FactContext(scope.ids_sq, scope.orgs, year, as_of, loading[name], posts, loading)
            return lambda: provider.loader(context)
        return lambda: provider.loader(scope.ids_sq, scope.orgs, year, as_of)

    jobs = [(COUNTS, lambda: _member_counts(scope, as_of)), *((name, load(name)) for name in names)]
    done = _load_all(jobs, threads=settings.FACT_THREADS if _parallel(scope) else 1)
    members, formal = done.pop(COUNTS)
    loaded = {name: done[name] for name in names}
    facts = []
    for org in scope.orgs:
        pk = org.pk  # a property: read once, not once per provider (a city: 59,000 reads)
        facts.append(
            OrgFacts(
                ref=OrgRef(pk, org.code, org.name, org.type, org.path, org.unit),
                founded_on=org.founded_on,
                dissolved_on=org.dissolved_on,
                term_start=org.term_start,
                term_years=org.effective_term_years,
                term_end=org.term_end,
                posts=posts.get(pk, ()),
                members=members.get(pk, 0),
                formal_members=formal.get(pk, 0),
                setup_approval_ref=org.setup_approval_ref,
                setup_approved_on=org.setup_approved_on,
                extra=MappingProxyType({name: values.get(pk) for name, values in loaded.items()}),
            )
        )
    return facts
