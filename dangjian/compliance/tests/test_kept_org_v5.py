"""Kept results stay equal to a fresh evaluation after the writes that change v5's organisation and election
rules: a member joining a branch (the 党总支's and 党委's counts), the approval of an organisation's form, a
secretary appointed and their 转正日期 corrected (a post in the 党总支 held by a member of its branch), an
election through a 党员代表大会, a postponement of the 换届."""

import datetime as dt

from dangjian.compliance import kept
from dangjian.compliance.models import KeptResult
from dangjian.compliance.tests.test_kept import fresh, stored
from dangjian.elections.services import record_election, record_term_adjustment
from dangjian.elections.tests.conftest import cands
from dangjian.members.services import update_member
from dangjian.orgs.services import create_post, update_org


def test_kept_results_follow_the_writes(tree, make_member, django_capture_on_commit_callbacks, today):
    Y = today.year

    def write(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            value = fn(*args, **kwargs)
        assert stored() == fresh(), fn.__name__
        return value

    people = [make_member(tree.a1, name=f"甲一{i}") for i in range(8)]
    kept.refresh()
    assert (
        KeptResult.objects.get(org=tree.b_zz, rule_id="ORG-SHAPE-BY-SIZE", year=Y).status == "fail"
    )  # 0 < 50
    young = write(
        make_member,
        tree.b1,
        name="乙一新党员",
        joined_on=dt.date(Y - 2, 1, 1),
        confirmed_on=dt.date(Y - 1, 1, 1),
    )
    write(
        update_org,
        actor=None,
        org=tree.b_zz,
        data={"setup_approval_ref": "乙委党发1号", "setup_approved_on": dt.date(Y, 1, 2)},
    )
    assert KeptResult.objects.get(org=tree.b_zz, rule_id="ORG-SHAPE-BY-SIZE", year=Y).status == "pass"
    write(
        create_post,
        actor=None,
        data={"member": young, "org": tree.b_zz, "title": "shuji", "started_on": dt.date(Y - 1, 6, 1)},
    )
    assert KeptResult.objects.get(org=tree.b_zz, rule_id="ORG-SECRETARY-PARTY-AGE", year=Y).status == "fail"
    write(update_member, actor=None, member=young, data={"confirmed_on": dt.date(Y - 2, 6, 1)})
    assert KeptResult.objects.get(org=tree.b_zz, rule_id="ORG-SECRETARY-PARTY-AGE", year=Y).status == "pass"
    write(update_org, actor=None, org=tree.a1, data={"term_started_on": dt.date(Y - 3, 1, 1)})
    write(
        record_term_adjustment,
        actor=None,
        org=tree.a1,
        kind="postpone",
        approved_on=dt.date(Y, 1, 1),
        approving_body="甲委机关党委",
        new_due_on=dt.date(Y + 1, 1, 1),
        reason="机构改革",
    )
    write(
        record_election,
        actor=None,
        org=tree.a1,
        held_on=dt.date(Y, 1, 3),
        form="congress",
        present=8,
        seats=3,
        ballots_issued=8,
        ballots_returned=8,
        candidates=cands(people, (8, 7, 6, 1)),
    )
    assert KeptResult.objects.get(org=tree.a1, rule_id="ELECT-CONGRESS-FORM", year=Y).status == "fail"
