"""The type-ahead endpoints of the pickers (issue 13): `orgs:options` (organisations, by kind) and
`orgs:member_options` (members; `within=1` for a form's picker of an organisation's members). Each suggests
from the user's scope only (a sibling's or another 党委's records never), at most 20, with a bounded number of
queries; anonymous visitors and 党员 are refused. Pages of a large scope render the pickers, and a value
outside the scope is refused when submitted."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.orgs import widgets

OPTION = re.compile(r"<option[\s>]")


def options(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def many(tree, make_member):
    """Thirty members in 甲一, thirty in 甲二 and thirty in 乙一, all called 王…; thirty 党支部 under 甲委."""
    from dangjian.orgs.services import create_org

    people = {
        key: [make_member(org, name=f"王{key}{i:02d}") for i in range(30)]
        for key, org in (("甲一", tree.a1), ("甲二", tree.a2), ("乙一", tree.b1))
    }
    for i in range(30):
        create_org(
            actor=None,
            data={"code": f"AX{i:02d}", "name": f"甲委第{i}支部", "type": "zhibu", "parent": tree.a},
        )
    return people


# --- orgs:options ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["", "branch", "member_org", "active"])
def test_org_search_suggests_the_scope_only(client, users, tree, many, kind):
    url = reverse("orgs:options")
    client.force_login(users["branch_a1"])
    body = options(client.get(url, {"field": "org", "kind": kind, "org_q": "支部"}))
    assert "甲一支部" in body
    assert "甲二支部" not in body and "乙一支部" not in body and "甲委第1支部" not in body  # sibling, foreign
    client.force_login(users["dangwei_a"])
    body = options(client.get(url, {"field": "org", "kind": kind, "org_q": "支部"}))
    assert "甲一支部" in body and "甲二支部" in body
    assert "乙一支部" not in body  # another 党委's
    assert len(OPTION.findall(body)) <= widgets.SEARCH_LIMIT + 1  # and the empty choice
    client.force_login(users["dangwei_a"])
    # by 组织编码: a code of another 党委 finds nothing
    assert "乙一支部" not in options(client.get(url, {"field": "org", "kind": kind, "org_q": "B1"}))


def test_org_search_a_chosen_org_outside_the_scope_is_not_echoed(client, users, tree):
    client.force_login(users["branch_a2"])
    body = options(client.get(reverse("orgs:options"), {"field": "org", "org": str(tree.a1.pk)}))
    assert "甲一支部" not in body  # a sibling's id in the query does not make it an option


def test_org_search_kinds_narrow_the_scope(client, users, tree):
    client.force_login(users["dangwei_a"])
    url = reverse("orgs:options")
    member_orgs = options(client.get(url, {"field": "org", "kind": "member_org", "org_q": "甲"}))
    assert "甲一第一党小组" in member_orgs and "甲一支部" in member_orgs
    assert "甲委机关党委" not in member_orgs  # no member is placed in a 党委
    required = options(client.get(url, {"field": "org", "kind": "active", "required": "1"}))
    assert "请选择组织" in required and "全部组织" not in required


def test_the_receiving_search_spans_the_system_by_name_only(client, users, tree):
    """A transfer's receiving organisation may be anywhere: its search finds any active 党支部 or 党小组 by name
    or 单位, never by 组织编码 (a code outside the scope is not turned into a name)."""
    client.force_login(users["branch_a1"])
    url = reverse("orgs:options")
    body = options(
        client.get(url, {"field": "to_org", "kind": "receiving", "to_org_q": "乙一", "required": "1"})
    )
    assert "乙一支部" in body and "乙委机关党委" not in body
    assert "乙一支部" not in options(
        client.get(url, {"field": "to_org", "kind": "receiving", "to_org_q": "B1"})
    )


@pytest.mark.parametrize("persona", ["anon", "member_a1", "norole"])
def test_org_search_refuses_who_administers_nothing(client, users, persona):
    if persona != "anon":
        client.force_login(users[persona])
    response = client.get(reverse("orgs:options"), {"field": "org", "org_q": "支部", "kind": "receiving"})
    assert response.status_code in (302, 403)
    assert "支部" not in response.content.decode()


def test_org_search_query_count_is_bounded(client, users, tree, many, django_assert_max_num_queries):
    client.force_login(users["gongwei"])
    url = reverse("orgs:options")
    with django_assert_max_num_queries(12):  # session, user, roles; the search and the chosen one
        client.get(url, {"field": "org", "kind": "branch", "org_q": "支部", "org": str(tree.b1.pk)})


# --- orgs:member_options -----------------------------------------------------------------------------------


def test_member_search_suggests_the_scope_only(client, users, tree, many):
    client.force_login(users["branch_a1"])
    url = reverse("orgs:member_options", args=[tree.a1.pk])
    body = options(client.get(url, {"member_q": "王"}))
    assert "王甲一00" in body and "王甲二" not in body and "王乙一" not in body
    assert len(OPTION.findall(body)) == widgets.SEARCH_LIMIT + 1  # 30 match: at most 20, and the empty choice
    assert "（甲一支部）" in body  # the branch disambiguates
    for member in many["甲一"][:3]:  # never a 身份证号 or a phone number
        assert member.id_number not in body and "13812345678" not in body
    # a sibling's organisation is not a way in
    assert (
        client.get(reverse("orgs:member_options", args=[tree.a2.pk]), {"member_q": "王"}).status_code == 404
    )


def test_member_search_within_an_org_stays_in_its_subtree(client, users, tree, many):
    client.force_login(users["dangwei_a"])
    url = reverse("orgs:member_options", args=[tree.a2.pk])
    anywhere = options(client.get(url, {"member_q": "王甲一"}))  # the post form: any visible member
    assert "王甲一00" in anywhere
    within = options(client.get(url, {"field": "leader", "leader_q": "王", "within": "1"}))
    assert "王甲二00" in within and "王甲一" not in within and "王乙一" not in within
    assert f'<option value="{many["甲二"][0].pk}" selected>' in within  # the first match chosen
    client.force_login(users["gongwei"])
    assert "王乙一" not in options(client.get(url, {"field": "leader", "leader_q": "王", "within": "1"}))


@pytest.mark.parametrize("persona", ["anon", "member_a1", "norole"])
def test_member_search_refuses_who_administers_nothing(client, users, tree, many, persona):
    if persona != "anon":
        client.force_login(users[persona])
    response = client.get(reverse("orgs:member_options", args=[tree.a1.pk]), {"member_q": "王"})
    assert response.status_code in (302, 403, 404)
    assert "王甲一" not in response.content.decode()


def test_member_search_query_count_is_bounded(client, users, tree, many, django_assert_max_num_queries):
    client.force_login(users["gongwei"])
    url = reverse("orgs:member_options", args=[tree.a.pk])
    with django_assert_max_num_queries(12):
        client.get(url, {"field": "host", "host_q": "王", "within": "1"})


# --- the pages' pickers --------------------------------------------------------------------------------------


@pytest.fixture
def small_threshold(settings, monkeypatch):
    from dangjian.members import widgets as member_widgets

    settings.ORG_PICKER_ABOVE = 3
    monkeypatch.setattr(member_widgets, "MEMBER_PICKER_ABOVE", 10)
    return settings


def test_the_member_form_of_a_large_scope_searches_and_refuses_outside_it(
    client, users, tree, small_threshold
):
    small_threshold.ORG_PICKER_ABOVE = 2  # 甲委's 3 党支部 and 党小组
    client.force_login(users["dangwei_a"])
    page = options(client.get(reverse("members:create")))
    assert 'data-testid="org-search"' in page and '"kind": "member_org"' in page
    from dangjian.members.forms import MemberForm
    from dangjian.members.selectors import member_org_options

    orgs = member_org_options(users["dangwei_a"])
    form = MemberForm({"org": str(tree.b1.pk)}, orgs=orgs)
    assert not form.is_valid() and "org" in form.errors  # another 党委's branch
    form = MemberForm({"org": str(tree.a2.pk)}, orgs=orgs)
    form.is_valid()
    assert "org" not in form.errors and form.cleaned_data["org"] == tree.a2


def test_the_transfer_form_searches_every_branch(users, tree, small_threshold):
    from dangjian.movements.forms import TransferForm
    from dangjian.movements.selectors import receiving_orgs

    small_threshold.ORG_PICKER_ABOVE = 1  # the 2 other 党支部 (a 党小组 receives no transfer)

    form = TransferForm(orgs=receiving_orgs(exclude=tree.a1))
    html = str(form["to_org"])
    assert '"kind": "receiving"' in html and html.count("<option") <= widgets.FORM_LIMIT + 2
    assert (
        TransferForm({"to_org": str(tree.b1.pk)}, orgs=receiving_orgs(exclude=tree.a1))
        .fields["to_org"]
        .clean(str(tree.b1.pk))
        == tree.b1
    )
    bound = TransferForm({"to_org": str(tree.a1.pk)}, orgs=receiving_orgs(exclude=tree.a1))
    assert not bound.is_valid() and "to_org" in bound.errors  # its own branch is not offered
    # the search behind the picker suggests 党支部 only, as the form offers them
    from dangjian.orgs.models import Org

    assert set(widgets.of_kind(Org.objects.all(), "receiving").values_list("type", flat=True)) == {"zhibu"}


def test_dues_and_talks_pages_of_a_large_scope_render_the_picker(client, users, tree, small_threshold):
    client.force_login(users["gongwei"])
    for name in ("dues:reminders", "dues:summary", "meetings:absences", "talks:index"):
        page = options(client.get(reverse(name)))
        assert 'data-testid="org-search"' in page, name
        picker = page[page.index('<div class="dj-orgpick">') :]
        picker = picker[: picker.index("</select>")]
        assert "甲委机关党委" in picker, name  # the top of the scope
        assert "乙一支部" not in picker, name  # not every organisation
    assert client.get(reverse("dues:reminders"), {"org": str(tree.b1.pk)}).status_code == 200
    small_threshold.ORG_PICKER_ABOVE = 2  # the 工委's 3 党支部
    sheet = options(client.get(reverse("dues:sheet"), {"org": str(tree.b1.pk)}))
    assert '"kind": "branch"' in sheet and f'<option value="{tree.b1.pk}" selected>' in sheet


def test_the_talks_group_leader_picker_searches_the_groups_org(
    client, users, tree, make_member, small_threshold
):
    from dangjian.talks.forms import GroupMembersForm

    people = [(m.pk, m.name) for m in (make_member(tree.a1, name=f"赵{i:02d}") for i in range(12))]
    form = GroupMembersForm(people=people, org=tree.a1)
    html = str(form["leader"])
    assert 'data-testid="member-search"' in html and '"within": "1"' in html
    assert reverse("orgs:member_options", args=[tree.a1.pk]) in html
    assert html.count("<option") == widgets.SEARCH_LIMIT + 1 if len(people) > 20 else len(people) + 1
    # a member outside the choices is refused as before
    outsider = make_member(tree.b1, name="赵乙一")
    bound = GroupMembersForm({"leader": str(outsider.pk)}, people=people, org=tree.a1)
    assert not bound.is_valid() and "leader" in bound.errors
    bound = GroupMembersForm({"leader": str(people[11][0])}, people=people, org=tree.a1)
    bound.is_valid()
    assert "leader" not in bound.errors


def test_an_election_candidate_row_offers_its_chosen_member_and_a_search(
    users, tree, make_member, small_threshold
):
    from types import SimpleNamespace

    from dangjian.elections.forms import CandidateRowForm

    voters = [make_member(tree.a1, name=f"钱{i:02d}") for i in range(12)]
    roster = [SimpleNamespace(member_id=m.pk, name=m.name) for m in voters]
    html = str(CandidateRowForm(roster=roster, org=tree.a1, prefix="c-0")["member"])
    assert 'data-testid="member-search"' in html and 'name="c-0-member_q"' in html
    assert html.count("<option") == 1  # only the empty choice before a search
    chosen = CandidateRowForm({"c-0-member": str(voters[5].pk)}, roster=roster, org=tree.a1, prefix="c-0")
    assert f'<option value="{voters[5].pk}" selected>钱05</option>' in str(chosen["member"])
    assert chosen.is_valid()
    outsider = make_member(tree.b1, name="钱乙一")
    refused = CandidateRowForm({"c-0-member": str(outsider.pk)}, roster=roster, org=tree.a1, prefix="c-0")
    assert not refused.is_valid() and "member" in refused.errors


def test_the_pickers_of_a_large_scope_read_no_more_organisations_than_they_offer(
    client, users, tree, small_threshold, add_branches, make_member
):
    """A 工委管理员's member form offers the top of the city's 党支部 and 党小组 under a search: it reads at most
    ORG_PICKER_ABOVE + 1 of them (it read every one of them, then again by their ids), on the 转入 form too; and
    so do the 培训学时 and 学时汇总 pages' pickers (they read every 党支部, 党总支 and 党委 to find the chosen one),
    the 组织生活 entry and edit forms and the plan form (they read every organisation that records meetings, the
    roster's one and the only 党支部 among them), the 换届选举 form and the 发展党员 case form."""
    from dangjian.meetings.services import create_meeting

    add_branches(6, 1)
    make_member(tree.a1, name="甲一王五")
    meeting = create_meeting(
        actor=None, data={"org": tree.a1, "date": dt.date.today(), "topic": "党员大会"}, types=["assembly"]
    )
    client.force_login(users["gongwei"])
    for url in (
        reverse("training:hours"),
        f"{reverse('training:hours')}?org={tree.a1.pk}",
        reverse("training:rollup"),
        reverse("members:create"),
        f"{reverse('members:create')}?org={tree.a1.pk}",
        reverse("movements:transfer_in"),
        reverse("meetings:create"),
        f"{reverse('meetings:create')}?org={tree.a1.pk}",
        reverse("meetings:edit", args=[meeting.pk]),
        reverse("meetings:plans"),
        reverse("elections:create"),
        reverse("pipeline:create"),
        f"{reverse('pipeline:create')}?org={tree.a1.pk}",
    ):
        with CaptureQueriesContext(connection) as ctx:
            page = options(client.get(url))
        assert 'data-testid="org-search"' in page, url
        reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "orgs_org"."id"')]
        # the picker's organisations (the whole scope of the 工委管理员: no path condition) are read with a LIMIT; a
        # page's own list (the subtree whose hours it shows, by its path) is not the picker's
        unbounded = [sql for sql in reads if " LIMIT " not in sql and " LIKE " not in sql]
        assert reads and not unbounded, (url, unbounded)
        assert not [sql for sql in reads if '"orgs_org"."id" IN (' in sql], url
    form_page = client.get(f"{reverse('members:create')}?org={tree.a1.pk}").content.decode()
    assert f'<option value="{tree.a1.pk}" selected>' in form_page  # the chosen 党支部, among the few offered
    for url in (
        f"{reverse('meetings:create')}?org={tree.a1.pk}&type=assembly",
        reverse("meetings:edit", args=[meeting.pk]),
        f"{reverse('pipeline:create')}?org={tree.a1.pk}",
    ):
        page = options(client.get(url))
        assert f'<option value="{tree.a1.pk}" selected>' in page, url
        if "meetings" in url:
            assert "甲一王五" in page, url  # the chosen 党支部's roster
    assert "甲一王五" not in options(client.get(f"{reverse('meetings:create')}?type=assembly"))  # no roster


@pytest.mark.parametrize("above", [80, 1])
def test_the_record_forms_refuse_an_organisation_outside_the_scope(
    client, users, tree, make_member, small_threshold, above
):
    """A 党委管理员's 组织生活, plan, 换届选举 and 发展党员 forms refuse another 党委's branch, whether the picker lists
    every organisation of the scope or searches them (above the threshold); their own branch is accepted."""
    from dangjian.elections.models import Election
    from dangjian.meetings.models import Meeting, PlannedMeeting
    from dangjian.pipeline.models import DevelopmentCase

    small_threshold.ORG_PICKER_ABOVE = above
    client.force_login(users["dangwei_a"])
    today = dt.date.today()
    meeting = {"date": today.isoformat(), "types": ["committee"], "topic": "支委会", "agenda": "议题"}
    response = client.post(reverse("meetings:create"), {"org": str(tree.b1.pk), **meeting})
    assert response.status_code == 200 and "org" in response.context["form"].errors
    plan = {"date": (today + dt.timedelta(days=3)).isoformat(), "types": ["theme_day"], "topic": "计划"}
    response = client.post(reverse("meetings:plans"), {"org": str(tree.b1.pk), **plan})
    assert response.status_code == 200 and "org" in response.context["form"].errors
    election = {"org": str(tree.b1.pk), "held_on": today.isoformat()}
    assert client.post(reverse("elections:create"), election).status_code == 404
    assert client.get(reverse("elections:create"), {"org": str(tree.b1.pk)}).status_code == 404
    case = {"name": "李申请", "id_number": unique_id_number(), "applied_on": today.isoformat()}
    response = client.post(reverse("pipeline:create"), {"org": str(tree.b1.pk), **case})
    assert response.status_code == 400 and "org" in response.context["form"].errors
    assert not Meeting.objects.exists() and not PlannedMeeting.objects.exists()
    assert not Election.objects.exists() and not DevelopmentCase.objects.exists()
    # the scope's own branch
    assert client.post(reverse("meetings:plans"), {"org": str(tree.a1.pk), **plan}).status_code == 302
    assert client.post(reverse("pipeline:create"), {"org": str(tree.a1.pk), **case}).status_code == 302
    setup = client.get(reverse("elections:create"), {"org": str(tree.a1.pk)})
    assert setup.status_code == 200 and setup.context["org"] == tree.a1
