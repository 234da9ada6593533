"""The numbers of an election, checked as pure functions (no database): quorum (EL-09), candidate margin
(EL-07), ballots (EL-13), the 预选 (EL-11) and the winning threshold with ties and shortfall (EL-10).
Every comparison is exact (integers and fractions): "more than 4/5" and "more than half" are strict, "at least
20% more" is not."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import gettext as _

from dangjian.core.dates import add_months
from dangjian.elections.params import ElectionParams


@dataclass(frozen=True)
class Entry:
    key: object  # the member id (or anything identifying the candidate)
    name: str
    votes: int | None = None
    prevotes: int | None = None


@dataclass(frozen=True)
class Check:
    rule: str  # rule or regulation id
    ok: bool
    message: str
    blocking: bool = False  # a failing blocking check refuses the record


@dataclass
class Result:
    key: object
    name: str
    votes: int | None
    prevotes: int | None
    formal: bool  # 正式候选人 (passed the 预选, or no 预选)
    passed: bool  # votes above the threshold
    elected: bool = False
    tied: bool = False


@dataclass
class Tally:
    checks: list[Check]
    results: list[Result]
    threshold_basis: str
    basis_count: int
    min_votes: int  # the fewest votes that pass the threshold
    elected: int = 0
    unfilled: int = 0
    tie: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def refusals(self) -> list[Check]:
        return [c for c in self.checks if c.blocking and not c.ok]

    def check(self, rule: str) -> Check | None:
        return next((c for c in self.checks if c.rule == rule), None)


def quorum_ok(present: int, expected: int, quorum: Fraction) -> bool:
    return expected > 0 and present > expected * quorum


def margin_ok(candidates: int, seats: int, percent: int) -> bool:
    return candidates * 100 >= seats * (100 + percent)


def min_margin_candidates(seats: int, percent: int) -> int:
    return -(-seats * (100 + percent) // 100)


def passes(votes: int | None, basis: int, share: Fraction) -> bool:
    return votes is not None and votes > basis * share


def min_passing(basis: int, share: Fraction) -> int:
    """The fewest votes strictly above basis × share."""
    limit = basis * share
    return int(limit) + 1 if limit == int(limit) else -(-limit.numerator // limit.denominator)


def quorum_check(expected: int, present: int, p: ElectionParams, *, delegates: bool = False) -> Check:
    """`delegates`: the election is held by a 党员代表大会, whose 应到会 and 实到会 are its 代表, not the members."""
    need = min_passing(expected, p.quorum)
    if delegates:
        text = _("应到会代表%(expected)s名，实到会代表%(present)s名，须超过%(share)s（至少%(need)s名）")
    else:
        text = _("应到会%(expected)s人，实到会%(present)s人，须超过%(share)s（至少%(need)s人）")
    text %= {
        "expected": expected,
        "present": present,
        "share": f"{p.quorum.numerator}/{p.quorum.denominator}",
        "need": need,
    }
    if quorum_ok(present, expected, p.quorum):
        ok = _("到会代表人数符合要求：%(details)s。") if delegates else _("到会人数符合要求：%(details)s。")
        return Check("ELECT-QUORUM", True, ok % {"details": text}, blocking=True)
    if delegates:
        failed = _("ELECT-QUORUM：到会代表人数不足，选举无效：%(details)s（EL-09）。")
    else:
        failed = _("ELECT-QUORUM：到会人数不足，选举无效：%(details)s（EL-09）。")
    return Check("ELECT-QUORUM", False, failed % {"details": text}, blocking=True)


def tally(
    *,
    expected: int,
    present: int,
    seats: int,
    ballots_issued: int,
    ballots_returned: int,
    entries: list[Entry],
    has_preselection: bool,
    params: ElectionParams,
    delegates: bool = False,
) -> Tally:
    """`delegates`: held by a 党员代表大会 (`expected` and `present` count its 代表)."""
    checks = [quorum_check(expected, present, params, delegates=delegates)]
    if ballots_returned <= ballots_issued:
        checks.append(
            Check(
                "EL-13",
                True,
                _("收回选票%(returned)s张，不多于发出的%(issued)s张，选举有效。")
                % {"returned": ballots_returned, "issued": ballots_issued},
                True,
            )
        )
    else:
        checks.append(
            Check(
                "EL-13",
                False,
                _("EL-13：收回选票%(returned)s张多于发出的%(issued)s张，选举无效，应重新投票。")
                % {"returned": ballots_returned, "issued": ballots_issued},
                True,
            )
        )
    # 预选 (EL-11): the threshold is always the expected voters.
    pre_min = min_passing(expected, params.threshold)
    results = []
    for e in entries:
        formal = not has_preselection or passes(e.prevotes, expected, params.threshold)
        results.append(Result(e.key, e.name, e.votes, e.prevotes, formal, False))
    formal_count = sum(1 for r in results if r.formal)
    need = min_margin_candidates(seats, params.margin_percent)
    margin = _("应选%(seats)s名，正式候选人%(formal)s名，差额应不少于%(percent)s%%（至少%(need)s名）") % {
        "seats": seats,
        "formal": formal_count,
        "percent": params.margin_percent,
        "need": need,
    }
    if margin_ok(formal_count, seats, params.margin_percent):
        checks.append(
            Check("ELECT-MARGIN", True, _("候选人差额符合要求：%(details)s。") % {"details": margin})
        )
    else:
        checks.append(
            Check(
                "ELECT-MARGIN",
                False,
                _("ELECT-MARGIN：候选人差额不足：%(details)s（EL-07）。") % {"details": margin},
            )
        )

    basis_count = expected if params.threshold_basis == "expected" else present
    min_votes = min_passing(basis_count, params.threshold)
    for r in results:
        r.passed = r.formal and passes(r.votes, basis_count, params.threshold)
    passing = sorted((r for r in results if r.passed), key=lambda r: -(r.votes or 0))
    t = Tally(checks, results, params.threshold_basis, basis_count, min_votes)
    if len(passing) <= seats:
        for r in passing:
            r.elected = True
    else:
        last = passing[seats - 1].votes or 0
        above = [r for r in passing if (r.votes or 0) > last]
        at_last = [r for r in passing if (r.votes or 0) == last]
        for r in above:
            r.elected = True
        if len(above) + len(at_last) > seats:
            t.tie = True
            for r in at_last:
                r.tied = True
        else:
            for r in at_last:
                r.elected = True
    t.elected = sum(1 for r in results if r.elected)
    t.unfilled = seats - t.elected
    share = f"{params.threshold.numerator}/{params.threshold.denominator}"
    if delegates and params.threshold_basis == "expected":
        threshold_text = _("当选须得票超过应到会代表人数%(count)s的%(share)s（至少%(min)s票）")
    elif delegates:
        threshold_text = _("当选须得票超过实到会代表人数%(count)s的%(share)s（至少%(min)s票）")
    elif params.threshold_basis == "expected":
        threshold_text = _("当选须得票超过应到会有选举权人数%(count)s的%(share)s（至少%(min)s票）")
    else:
        threshold_text = _("当选须得票超过实到会有选举权人数%(count)s的%(share)s（至少%(min)s票）")
    threshold_text %= {"count": basis_count, "share": share, "min": min_votes}
    if has_preselection:
        if delegates:
            pre = _(
                "预选：得票超过应到会代表人数%(expected)s的%(share)s（至少%(min)s票）的成为正式候选人（EL-11）。"
            )
        else:
            pre = _(
                "预选：得票超过应到会人数%(expected)s的%(share)s（至少%(min)s票）的成为正式候选人（EL-11）。"
            )
        t.notes.append(pre % {"expected": expected, "share": share, "min": pre_min})
    if t.tie:
        t.notes.append(_("最后一个名额得票相等，应对得票相等的候选人重新投票（EL-10）。"))
    if t.unfilled > 0:
        t.notes.append(_("%(n)s个名额未选出，应就不足名额另行选举（EL-10）。") % {"n": t.unfilled})
    checks.append(
        Check(
            "ELECT-THRESHOLD",
            t.unfilled == 0,
            _("%(threshold)s：当选%(elected)s名，应选%(seats)s名。")
            % {"threshold": threshold_text, "elected": t.elected, "seats": seats},
        )
    )
    return t


# --- terms ------------------------------------------------------------------------------------------------


def months_between(start, end) -> int:
    """Whole months from `start` to `end` (negative when `end` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months


def adjusted_due(term_end, adjustment):
    """The date the 换届 is due: the term end, or the date an approval to postpone or advance it set."""
    return adjustment.new_due_on if adjustment is not None else term_end


def classify_term(
    term_end, adjustment, as_of, *, months_ahead: int, max_adjust_months: int
) -> tuple[str, object]:
    """(status, due date): "due" when the term (as postponed or advanced by `adjustment`, an approval for this
    term) ends within `months_ahead` months of `as_of`; "overdue" once it has ended; "violation" when more than
    `max_adjust_months` have passed since the term end and no approved postponement covers `as_of` (EL-03);
    "ok" otherwise."""
    due = adjusted_due(term_end, adjustment)
    if due < as_of:
        covered = adjustment is not None and adjustment.kind == "postpone" and as_of <= adjustment.new_due_on
        if add_months(term_end, max_adjust_months) < as_of and not covered:
            return "violation", due
        return "overdue", due
    if due <= add_months(as_of, months_ahead):
        return "due", due
    return "ok", due
