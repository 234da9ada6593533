"""The generator: a deterministic plan of organisations, members, party posts and member history.

Pure Python, no database: the same (scale, seed) always gives the same plan, whatever the date or
the process (one `random.Random(seed)`, no set iteration, dates measured from the reference day `today`).

Shape of each 单位 (codes in brackets):

    市级机关工作党委 [GW]
    ├── 市教委党组 [U001-DZ]
    └── 市教委机关党委 [U001-JW]
        ├── 办公室党支部 [U001-JW-ZB01]            unit leaders sit here; large branches get 党小组
        │   └── 办公室党支部第一党小组 [U001-JW-ZB01-XZ01]
        ├── 人事处党支部 [U001-JW-ZB02] ...        one per office (处室), some joint (联合党支部)
        ├── 离退休干部党支部 [U001-JW-ZB05]        or a 离退休干部党总支 with several branches
        └── 信息中心党总支 [U001-JW-ZZ01]          directly affiliated institutions
            └── 信息中心第一党支部 [U001-JW-ZZ01-ZB01] ...

Rules followed (see ../shared/reference/regulations.md): a 党支部 with 7 or more members has a
支委会 of 3 or 5 (ORG-03, EL-14), a smaller one only a 书记; 党支部 have at most 50 members
(BR-02); only 正式党员 hold posts (EL-05); terms are 5 years for 党委 and 3 for 党总支/党支部
(EL-01), spread so that some are overdue and some end within six months (EL-02). A branch whose
current term began during the window of the records (clock.py) also has its previous committee (ended on the new term's
start, some of its members re-elected), so that it could meet as a committee before the election.

A small share of 党支部 (ANOMALY_SHARE) breach an ORG-* rule on purpose, as real ones do, so that
the compliance pages have something to show (Plan.anomalies): a small office with only two 正式党员
and a 预备党员, a 离退休干部党支部 grown past 50 members (these two not at the small scale), a 书记 who
stepped down a few weeks before the reference date with no successor yet, and a committee member
who left without a by-election (fewer than three committee posts in a branch of 7 or more 正式党员);
at least one of each of the last two at every scale.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from dangjian.demo.seeding import data
from dangjian.demo.seeding.clock import Clock
from dangjian.demo.seeding.dues import build_dues
from dangjian.demo.seeding.meetings import build_meetings
from dangjian.demo.seeding.people import MemberSpec, People, add_years
from dangjian.demo.seeding.specs import (
    ANOMALY_SHARE,
    COMMITTEE_MIN_MEMBERS,
    MAX_BRANCH_MEMBERS,
    MIN_BRANCH_MEMBERS,
    SCALES,
    HistorySpec,
    OrgSpec,
    Plan,
    PostSpec,
    Scale,
    StintSpec,
    allocate,
    cn_number,
    leader_titles,
)
from dangjian.members.choices import Category, HistoryField, WorkStatus
from dangjian.orgs.choices import COMMITTEE_TITLES, DEFAULT_TERM_YEARS, OrgType, PostTitle, chinese_label


@dataclass
class _Branch:
    org: OrgSpec
    kind: str  # "office" | "centre" | "retiree"
    label: str  # the office or institution the branch serves
    weight: float
    leaders: int = 0  # unit leaders (局长, 副局长 ...) who belong to this branch
    centre_head: bool = False  # the first branch of an institution holds its 主任
    size: int = 0
    members: list[int] = field(default_factory=list)
    secretary: int | None = None
    committee: list[int] = field(default_factory=list)
    anomaly: str = ""  # see Plan.anomalies


@dataclass
class _Unit:
    code: str
    name: str
    dangzu: OrgSpec
    jiwei: OrgSpec
    branches: list[_Branch] = field(default_factory=list)
    zongzhi: list[tuple[OrgSpec, list[_Branch]]] = field(default_factory=list)


class Builder:
    def __init__(self, scale: Scale, seed: int, today: dt.date):
        self.scale = scale
        self.today = today
        self.clock = Clock(today)
        self.rng = random.Random(seed)
        # what was added later (previous committees, ORG-* breaches) draws from its own RNG, so that
        # the rest of the plan stays as it was
        self.extra = random.Random(f"dangjian-extra-{seed}")
        self.previous_posts: set[int] = set()  # id() of the posts of previous committees
        self.replaced: set[int] = set()  # past 书记 drawn as before, replaced by a previous committee
        self.people = People(self.rng, today)
        self.plan = Plan(scale=scale.name, seed=seed, today=today)
        self.branch_numbers: Counter[str] = Counter()  # 党支部 numbered per parent

    # --- organisations --------------------------------------------------------------------------
    def org(self, code: str, name: str, type_: str, parent: OrgSpec | None, unit: str, **extra) -> OrgSpec:
        spec = OrgSpec(
            code, name, type_, parent.code if parent else None, (parent.depth if parent else 0) + 1, unit
        )
        for key, value in extra.items():
            setattr(spec, key, value)
        self.plan.orgs.append(spec)
        return spec

    def term(self, org_type: str) -> dict:
        """本届开始日期 spread so that ~12% of terms are overdue and ~15% end within six months."""
        years = DEFAULT_TERM_YEARS[org_type]
        roll = self.rng.random()
        if roll < 0.12:
            end = self.today - dt.timedelta(days=self.rng.randint(1, 300))
        elif roll < 0.27:
            end = self.today + dt.timedelta(days=self.rng.randint(0, 182))
        else:
            end = self.today + dt.timedelta(days=self.rng.randint(183, years * 365 - 30))
        start = add_years(end, -years)
        founded = add_years(start, -years * self.rng.randint(0, 6))
        return {"term_started_on": start, "term_years": years, "founded_on": founded}

    def unit_names(self) -> list[str]:
        n, known = self.scale.units, data.UNITS[:20]
        if n <= len(known):
            return self.rng.sample(known, n)
        names = self.rng.sample(known, len(known)) + list(data.UNITS[len(known) : n])
        names += [f"市直属机构第{i}单位" for i in range(len(names) + 1, n + 1)]
        return names

    def layout(self, root: OrgSpec, index: int, name: str, n_branches: int) -> _Unit:
        rng, code = self.rng, f"U{index:03d}"
        dangzu = self.org(
            f"{code}-DZ",
            f"{name}党组",
            OrgType.DANGZU,
            root,
            name,
            founded_on=dt.date(rng.randint(1995, 2016), 1, 1),
        )
        jiwei = self.org(
            f"{code}-JW", f"{name}机关党委", OrgType.DANGWEI, root, name, **self.term(OrgType.DANGWEI)
        )
        unit = _Unit(code, name, dangzu, jiwei)
        n_retiree = 1 if n_branches < 12 else 2 if n_branches < 30 else 3
        rest = n_branches - n_retiree
        n_centres = 0 if rest < 4 else max(1, round(rest / 12 + rng.uniform(-0.5, 0.5)))
        centre_sizes = []
        for _ in range(n_centres):
            size = min(rng.randint(2, 5), rest - sum(centre_sizes) - 2)
            if size >= 2:
                centre_sizes.append(size)
        self.offices(unit, rest - sum(centre_sizes))
        if n_retiree == 1:
            self.branch(unit, jiwei, "离退休干部党支部", "retiree", "离退休干部")
        centres = rng.sample(data.CENTRES, len(centre_sizes))
        for centre, size in zip(centres, centre_sizes, strict=True):
            self.zongzhi(
                unit, centre, "centre", [f"{centre}第{cn_number(i)}党支部" for i in range(1, size + 1)]
            )
        if n_retiree > 1:
            names = [f"离退休干部第{cn_number(i)}党支部" for i in range(1, n_retiree + 1)]
            self.zongzhi(unit, "离退休干部", "retiree", names)
        return unit

    def offices(self, unit: _Unit, count: int) -> None:
        rng = self.rng
        pool = list(data.OFFICES[1:])
        rng.shuffle(pool)
        labels = ["办公室"]
        while len(labels) < count:
            if len(pool) >= 2 and rng.random() < 0.12:
                labels.append(f"{pool.pop()}、{pool.pop()}联合")
            elif pool:
                labels.append(pool.pop())
            else:
                labels.append(f"机关第{cn_number(len(labels) + 1)}")
        for label in labels[:count]:
            self.branch(unit, unit.jiwei, f"{label}党支部", "office", label.removesuffix("联合"))

    def branch(self, unit: _Unit, parent: OrgSpec, name: str, kind: str, label: str) -> _Branch:
        self.branch_numbers[parent.code] += 1
        number = self.branch_numbers[parent.code]
        org = self.org(
            f"{parent.code}-ZB{number:02d}",
            name,
            OrgType.ZHIBU,
            parent,
            unit.name,
            is_retiree_branch=kind == "retiree",
            **self.term(OrgType.ZHIBU),
        )
        weight = self.rng.lognormvariate(0, 0.45) * (1.4 if kind == "retiree" else 1.0)
        branch = _Branch(org, kind, label, weight)
        if not unit.branches:  # the first office (办公室) also holds the unit's leaders
            branch.leaders = 1 + self.rng.randint(3, 5)
            branch.weight *= 1.3
        elif kind == "office" and self.rng.random() < 0.08:  # a small office: too few for a 支委会
            branch.weight *= 0.1
        unit.branches.append(branch)
        return branch

    def zongzhi(self, unit: _Unit, label: str, kind: str, branch_names: list[str]) -> None:
        number = len(unit.zongzhi) + 1
        org = self.org(
            f"{unit.jiwei.code}-ZZ{number:02d}",
            f"{label}党总支",
            OrgType.ZONGZHI,
            unit.jiwei,
            unit.name,
            **self.term(OrgType.ZONGZHI),
        )
        branches = [self.branch(unit, org, name, kind, label) for name in branch_names]
        if kind == "centre":
            branches[0].centre_head = True
        unit.zongzhi.append((org, branches))

    # --- the whole plan -------------------------------------------------------------------------
    def build(self) -> Plan:
        scale, rng = self.scale, self.rng
        root = self.org("GW", "市级机关工作党委", OrgType.GONGWEI, None, "")
        names = self.unit_names()
        per_unit = allocate(
            scale.branches,
            [rng.lognormvariate(0, 0.5) for _ in names],
            [scale.min_branches_per_unit] * len(names),
            maximum=scale.branches,
        )
        units = [
            self.layout(root, i, name, n) for i, (name, n) in enumerate(zip(names, per_unit, strict=True), 1)
        ]
        branches = [b for u in units for b in u.branches]
        self.plan.anomalies = {"too_few": [], "too_many": [], "vacant": [], "no_committee": []}
        self.mark_sizes(branches)
        minimums = {"too_few": 3, "too_many": 0}
        sizes = allocate(
            scale.members,
            [0.0 if b.anomaly == "too_few" else b.weight for b in branches],
            [
                minimums.get(b.anomaly, b.leaders + 6 if b.leaders else MIN_BRANCH_MEMBERS)
                or self.extra.randint(MAX_BRANCH_MEMBERS + 1, MAX_BRANCH_MEMBERS + 5)
                for b in branches
            ],
            MAX_BRANCH_MEMBERS,
        )
        for branch, size in zip(branches, sizes, strict=True):
            branch.size = size
        for unit in units:
            self.staff_unit(unit)
        self.mark_posts(branches)
        for codes in self.plan.anomalies.values():
            codes.sort()
        return self.plan

    # --- deliberate breaches of the ORG-* rules -------------------------------------------------
    def anomaly_count(self, branches: list[_Branch], minimum: int = 1) -> int:
        return max(minimum, round(ANOMALY_SHARE * len(branches)))

    def mark(self, candidates: list[_Branch], count: int, anomaly: str) -> None:
        for branch in self.extra.sample(candidates, min(count, len(candidates))):
            branch.anomaly = anomaly
            self.plan.anomalies[anomaly].append(branch.org.code)

    def mark_sizes(self, branches: list[_Branch]) -> None:
        """Before sizing: small offices left with two 正式党员 (the third member is a 预备党员), and
        离退休干部党支部 grown past 50 members (sized above the maximum). None at the small scale (1.5%
        of 15 rounds to 0): moving members around there would reshape the whole demo tree."""
        count = self.anomaly_count(branches, minimum=0)
        self.mark([b for b in branches if b.kind == "retiree"], count, "too_many")
        self.mark([b for b in branches if b.kind == "office" and not b.leaders], count, "too_few")

    def mark_posts(self, branches: list[_Branch]) -> None:
        """After staffing: a 书记 who stepped down recently with no successor yet (in branches whose
        committee, if any, keeps three posts without them), and a 委员 who left without a by-election
        in branches of 7 or more 正式党员 with a committee of three."""
        members, count = self.plan.members, self.anomaly_count(branches)
        current: dict[str, list[PostSpec]] = {}
        for post in self.plan.posts:
            if post.ended_on is None and post.title in COMMITTEE_TITLES:
                current.setdefault(post.org, []).append(post)
        settled = [
            b
            for b in branches
            if not b.anomaly
            and b.org.term_started_on is not None
            and b.org.term_started_on <= self.today - dt.timedelta(days=150)
        ]
        vacant = [b for b in settled if len(current.get(b.org.code, ())) in (1, 4, 5)]
        self.mark(vacant, count, "vacant")
        full = [
            b
            for b in settled
            if not b.anomaly
            and len(current.get(b.org.code, ())) == 3
            and sum(members[i].formal_by(self.today) for i in b.members) >= COMMITTEE_MIN_MEMBERS
        ]
        self.mark(full, count, "no_committee")
        for branch in branches:
            if branch.anomaly in ("vacant", "no_committee"):
                posts = current[branch.org.code]
                title = PostTitle.SECRETARY if branch.anomaly == "vacant" else PostTitle.PROPAGANDA
                post = next(p for p in posts if p.title == title)
                post.ended_on = self.today - dt.timedelta(days=self.extra.randint(15, 120))

    # --- members, posts, groups -----------------------------------------------------------------
    def add_member(self, spec: MemberSpec, org: str) -> int:
        spec.org = org
        self.plan.members.append(spec)
        return len(self.plan.members) - 1

    def post(self, member: int, org: OrgSpec, title: str, start: dt.date, end: dt.date | None = None) -> None:
        spec = self.plan.members[member]
        assert spec.formal_by(start), (spec.name, org.code, title, start)
        self.plan.posts.append(PostSpec(member, org.code, title, start, end))

    def staff_unit(self, unit: _Unit) -> None:
        head, deputy = leader_titles(unit.name)
        for branch in unit.branches:
            self.staff_branch(branch, head, deputy)
        self.ensure_mobile(unit)
        grouped = max(
            (b for b in unit.branches if b.kind != "retiree"),
            key=lambda b: (b.size, b.org.code),
            default=None,
        )
        for branch in unit.branches:
            if branch.size >= self.scale.group_threshold or (branch is grouped and branch.size >= 10):
                self.groups(branch)
        for org, branches in unit.zongzhi:
            self.zongzhi_committee(org, branches)
        self.party_group(unit)
        self.party_committee(unit)
        self.transfers(unit)

    def ensure_mobile(self, unit: _Unit) -> None:
        """At least one 流动党员 per unit (an ordinary serving member, holding no post)."""
        members = self.plan.members
        if any(members[i].is_mobile for b in unit.branches for i in b.members):
            return
        pool = [
            i
            for b in unit.branches
            if b.kind != "retiree"
            for i in b.members[b.leaders :]
            if i not in b.committee and not members[i].is_leader
        ]
        if pool:
            members[self.rng.choice(pool)].is_mobile = True

    def staff_branch(self, branch: _Branch, head: str, deputy: str) -> None:
        people, rng, code = self.people, self.rng, branch.org.code
        for i in range(branch.size):
            if branch.kind == "retiree":
                spec = people.retired()
            elif i < branch.leaders:
                spec = people.serving(age=(50, 59, 55) if i == 0 else (44, 59, 52))
                spec.position, spec.is_leader = (head, True) if i == 0 else (deputy, True)
            else:
                probationary = i >= branch.leaders + 3 and rng.random() < 0.05
                if branch.anomaly == "too_few" and i == 2:
                    probationary = True
                spec = people.serving(probationary=probationary, age=(25, 36, 29) if probationary else None)
                spec.position, spec.is_leader = self.position(branch, i - branch.leaders)
            branch.members.append(self.add_member(spec, code))
        self.branch_committee(branch)

    def position(self, branch: _Branch, rank: int) -> tuple[str, bool]:
        rng = self.rng
        if branch.kind == "office":
            if rank == 0:
                return "处长", True
            if rank == 1 or (rank == 2 and branch.size >= 12):
                return "副处长", True
            return rng.choices([p for p, _ in data.OFFICE_RANKS], [w for _, w in data.OFFICE_RANKS])[0], False
        if rank == 0 and branch.centre_head:
            return f"{branch.label}主任", True
        if rank <= 1 and (branch.centre_head or rank == 0):
            return f"{branch.label}副主任", True
        return rng.choices([p for p, _ in data.CENTRE_RANKS], [w for _, w in data.CENTRE_RANKS])[0], False

    def pick(self, pool: list[int], day: dt.date, exclude: set[int]) -> int | None:
        """The first member of `pool` (in order) who was a full member on `day` and is not excluded."""
        for i in pool:
            if i not in exclude and self.plan.members[i].formal_by(day):
                return i
        return None

    def elect(self, org: OrgSpec, titles: list[str], preferred: list[int], others: list[int]) -> list[int]:
        """Fills a committee elected at the start of the current term; returns who was elected."""
        start = org.term_started_on
        assert start is not None
        chosen: list[int] = []
        for n, title in enumerate(titles):
            who = self.pick(preferred if n == 0 else others, start, set(chosen))
            if who is None and n == 0:
                who = self.pick(others, start, set(chosen))
            if who is None and n == 0:  # nobody was a full member then: the earliest confirmed takes over
                who = min(
                    (i for i in others if self.plan.members[i].confirmed_on),
                    key=lambda i: (self.plan.members[i].confirmed_on, i),
                )
                self.post(who, org, title, max(start, self.plan.members[who].confirmed_on))
                chosen.append(who)
                continue
            if who is None:
                continue
            self.post(who, org, title, start)
            chosen.append(who)
        whole = org.type == OrgType.ZHIBU and start > self.clock.first and (org.founded_on or start) < start
        if chosen and self.rng.random() < 0.3:  # the previous term's 书记, who has since stepped down
            previous = add_years(start, -(org.term_years or 3))
            shuffled = self.rng.sample(others, len(others))
            past = self.pick(shuffled, previous, set(chosen))
            if past is not None and whole:
                self.replaced.add(past)  # the whole previous committee is added instead
            elif past is not None:
                self.post(past, org, PostTitle.SECRETARY, previous, start)
        if whole:  # elected during the window of the records: the previous committee met until then
            self.previous_term(org, titles, chosen, others)
        return chosen

    def previous_term(self, org: OrgSpec, titles: list[str], elected: list[int], pool: list[int]) -> None:
        """The committee of the previous term of a branch elected during the window of the records: the same
        posts, from the previous election to the new term's start, some of its members re-elected."""
        start = org.term_started_on
        assert start is not None
        previous = add_years(start, -(org.term_years or 3))
        rng = self.extra
        again = [i for i in elected if rng.random() < 0.5]
        candidates = again + [i for i in rng.sample(pool, len(pool)) if i not in again]
        held: set[int] = set()
        for title in titles:
            who = self.pick(candidates, previous, held)
            if who is None:
                break
            self.post(who, org, title, previous, start)
            self.previous_posts.add(id(self.plan.posts[-1]))
            held.add(who)

    def branch_committee(self, branch: _Branch) -> None:
        rng = self.rng
        staff = branch.members[branch.leaders :]
        if branch.size < COMMITTEE_MIN_MEMBERS:
            titles = [PostTitle.SECRETARY]
        elif branch.size >= 15 and rng.random() < 0.6:
            second = PostTitle.DEPUTY_SECRETARY if rng.random() < 0.5 else PostTitle.COMMITTEE
            titles = [
                PostTitle.SECRETARY,
                second,
                PostTitle.ORGANIZATION,
                PostTitle.PROPAGANDA,
                PostTitle.DISCIPLINE,
            ]
        else:
            titles = [PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PROPAGANDA]
        preferred = staff[:3] if branch.kind != "retiree" else rng.sample(staff, len(staff))
        others = rng.sample(staff, len(staff))
        branch.committee = self.elect(branch.org, titles, preferred, others)
        branch.secretary = branch.committee[0]

    def groups(self, branch: _Branch) -> None:
        """Splits a large branch into 党小组: the 支委 stay in the branch, everyone else joins a group."""
        rng, parent = self.rng, branch.org
        count = max(2, min(5, branch.size // 10))
        start = parent.term_started_on
        assert start is not None
        rest = [i for i in branch.members if i not in branch.committee]
        rng.shuffle(rest)
        # full members first, dealt round-robin: every group gets someone who can lead it
        rest.sort(key=lambda i: not self.plan.members[i].formal_by(start))
        areas = rng.sample(data.RETIREE_AREAS, count) if branch.kind == "retiree" else []
        for n in range(count):
            label = areas[n] if areas else f"第{cn_number(n + 1)}"
            group = self.org(
                f"{parent.code}-XZ{n + 1:02d}",
                f"{parent.name}{label}党小组",
                OrgType.XIAOZU,
                parent,
                parent.unit,
                founded_on=parent.term_started_on,
            )
            members = sorted(rest[n::count])
            for i in members:
                self.plan.members[i].org = group.code
            # a 党小组长 is an ordinary member, not one of the unit's leaders
            leader = self.pick(sorted(members, key=lambda i: self.plan.members[i].is_leader), start, set())
            if leader is None:
                leader = min(
                    (i for i in members if self.plan.members[i].confirmed_on),
                    key=lambda i: (self.plan.members[i].confirmed_on, i),
                )
            confirmed = self.plan.members[leader].confirmed_on
            assert confirmed is not None
            self.post(leader, group, PostTitle.GROUP_LEADER, max(start, confirmed))

    def zongzhi_committee(self, org: OrgSpec, branches: list[_Branch]) -> None:
        rng = self.rng
        pool = [i for b in branches for i in b.members]
        secretaries = [b.secretary for b in branches if b.secretary is not None]
        heads = [i for i in pool if self.plan.members[i].position.endswith("主任")]
        second = PostTitle.DEPUTY_SECRETARY if rng.random() < 0.3 else PostTitle.COMMITTEE
        titles = [
            PostTitle.SECRETARY,
            PostTitle.ORGANIZATION,
            PostTitle.PROPAGANDA,
            PostTitle.DISCIPLINE,
            second,
        ]
        preferred = heads + secretaries if branches[0].kind == "centre" else secretaries
        others = secretaries + rng.sample(pool, len(pool))
        self.elect(org, titles, preferred, others)

    def party_committee(self, unit: _Unit) -> None:
        """机关党委: a deputy head as 书记, a full-time 副书记, and branch secretaries as 委员."""
        leaders_branch = unit.branches[0]
        deputies = leaders_branch.members[1 : leaders_branch.leaders]
        secretaries = [b.secretary for b in unit.branches if b.secretary is not None and b.kind != "retiree"]
        titles = [
            PostTitle.SECRETARY,
            PostTitle.DEPUTY_SECRETARY,
            PostTitle.ORGANIZATION,
            PostTitle.PROPAGANDA,
            PostTitle.DISCIPLINE,
            PostTitle.COMMITTEE,
            PostTitle.COMMITTEE,
        ]
        self.elect(
            unit.jiwei,
            titles,
            self.rng.sample(deputies, len(deputies)),
            self.rng.sample(secretaries, len(secretaries)),
        )

    def party_group(self, unit: _Unit) -> None:
        """党组: the unit head as 书记, the deputies as members (党组成员)."""
        leaders = unit.branches[0].members[: unit.branches[0].leaders]
        for n, i in enumerate(leaders):
            confirmed = self.plan.members[i].confirmed_on
            assert confirmed is not None
            start = max(confirmed, self.today - dt.timedelta(days=self.rng.randint(60, 6 * 365)))
            title = PostTitle.SECRETARY if n == 0 else PostTitle.COMMITTEE
            if n == 1 and self.rng.random() < 0.3:
                title = PostTitle.DEPUTY_SECRETARY
            self.post(i, unit.dangzu, title, start)

    # --- history --------------------------------------------------------------------------------
    def transfers(self, unit: _Unit) -> None:
        """Member history: recent 转正, recent retirements (moved to a retiree branch), a few transfers."""
        rng, members = self.rng, self.plan.members
        office_codes = [b.org.code for b in unit.branches if b.kind != "retiree"]
        org_names = {o.code: o.name for o in self.plan.orgs if o.unit == unit.name}
        # who may have moved: only the holders of this term's posts count for the draws (as before the
        # previous committees were added), but no holder of any post is moved
        drawn = {p.member for p in self.plan.posts if id(p) not in self.previous_posts} | self.replaced
        holders = {p.member for p in self.plan.posts}
        recent = self.today - dt.timedelta(days=730)
        label = {v: chinese_label(Category, v) for v in Category.values}
        status = {v: chinese_label(WorkStatus, v) for v in WorkStatus.values}
        for branch in unit.branches:
            for i in branch.members:
                m = members[i]
                if m.confirmed_on and m.confirmed_on >= recent:
                    self.history(
                        i,
                        HistoryField.CATEGORY,
                        label[Category.PROBATIONARY],
                        label[Category.FORMAL],
                        m.confirmed_on,
                    )
                if m.work_status == WorkStatus.RETIRED:
                    retired_on = add_years(m.birth_date, 60 if m.sex == "M" else 55)
                    if retired_on >= self.today - dt.timedelta(days=1095):
                        self.history(
                            i,
                            HistoryField.WORK_STATUS,
                            status[WorkStatus.ACTIVE],
                            status[WorkStatus.RETIRED],
                            retired_on,
                        )
                        old = rng.choice(office_codes)
                        self.history(
                            i, HistoryField.ORG, org_names[old], org_names[m.org], retired_on, old, m.org
                        )
                elif i not in drawn and len(office_codes) > 1 and rng.random() < 0.02:
                    old = rng.choice([c for c in office_codes if c != branch.org.code])
                    when = max(
                        m.joined_on + dt.timedelta(days=1),
                        self.today - dt.timedelta(days=rng.randint(30, 700)),
                    )
                    if i not in holders:
                        self.history(i, HistoryField.ORG, org_names[old], org_names[m.org], when, old, m.org)

    def history(
        self, member: int, field_: str, old: str, new: str, on: dt.date, old_org=None, new_org=None
    ) -> None:
        self.plan.history.append(HistorySpec(member, field_, old, new, on, old_org, new_org))


def build_plan(scale: str, seed: int = 1, today: dt.date | None = None) -> Plan:
    """The plan for (scale, seed), dated from `today` (default the real date): the same arguments always give
    the same plan."""
    today = today or dt.date.today()
    try:
        spec = SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None
    plan = Builder(spec, seed, today).build()
    plan.meetings = build_meetings(plan, seed)  # the window's organizational life, from its own RNG
    build_dues(plan, seed)  # the window's 党费, from its own RNG
    plan.stints = build_stints(plan, seed)  # the 流动党员's 外出 records, from their own RNG
    return plan


# where members of a municipal organ are sent for a while (挂职, 援派, 借调), inside China: the 流动 rules of the
# rulebook watch those abroad, which a branch records itself
DESTINATIONS = (
    "新疆维吾尔自治区喀什地区（援疆）",
    "西藏自治区日喀则市（援藏）",
    "云南省（对口支援挂职）",
    "贵州省遵义市（对口帮扶挂职）",
    "江苏省苏州市（长三角合作挂职）",
    "浙江省嘉兴市（长三角合作挂职）",
    "本市浦东新区（借调）",
    "中央和国家机关（借调）",
)
RETIREE_DESTINATIONS = (
    "江苏省南京市（随子女居住）",
    "浙江省杭州市（随子女居住）",
    "海南省三亚市（异地居住）",
    "广东省深圳市（随子女居住）",
)


def build_stints(plan: Plan, seed: int) -> list[StintSpec]:
    """An open 外出 record for every member marked 流动党员: where they went and since when (one to thirty months
    before the reference day, never before they joined). Drawn from an RNG of its own, so that the rest of the
    plan stays as it was."""
    rng = random.Random(f"dangjian-stints-{seed}")
    stints = []
    for i, member in enumerate(plan.members):
        if member.is_mobile:
            left_on = max(member.joined_on, plan.today - dt.timedelta(days=rng.randint(30, 900)))
            places = RETIREE_DESTINATIONS if member.work_status == WorkStatus.RETIRED else DESTINATIONS
            stints.append(StintSpec(i, rng.choice(places), left_on))
    return stints
