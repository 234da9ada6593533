"""Pages: scope (outside → 404), entry forms calling the services, bounded queries on the index."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.talks import services
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup

D = dt.date


def login(client, user):
    client.force_login(user)
    return client


def test_index_shows_only_the_users_scope(client, a1, users, tree, make_member, today):
    services.record_talk(actor=None, org=a1.org, date=today, participants=[a1.shuji, a1.m1])
    other = [make_member(tree.a2, name=n) for n in ("甲二甲", "甲二乙")]
    services.record_talk(actor=None, org=tree.a2, date=today, participants=other)
    page = login(client, users["branch_a1"]).get(reverse("talks:index")).content.decode()
    assert "书记甲" in page and "甲二甲" not in page
    assert 'data-testid="n-committee_member">1<' in page
    page = client.get(reverse("talks:index") + f"?org={tree.a2.pk}")
    assert page.status_code == 404
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("talks:index")).content.decode()
    assert "书记甲" in page and "甲二甲" in page
    assert 'data-testid="n-talks">2<' in page


def test_index_over_a_range_too_wide_asks_for_a_narrower_one(client, a1, users, tree, settings, today):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) the per-branch counts, the 新老结对 and
    the 学习小组 are not read: the page offers the organisations one level down (keeping the year) and still shows
    the latest talks; one of them chosen, the page is as before."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    services.record_talk(actor=None, org=a1.org, date=today, participants=[a1.shuji, a1.m1])
    services.create_pair(
        actor=None, org=a1.org, mentor=a1.shuji, mentee=a1.m1, started_on=today, goal="熟悉业务"
    )
    login(client, users["gongwei"])
    response = client.get(reverse("talks:index"), {"year": today.year})
    assert response.status_code == 200
    assert response.context["wide"].branches == 3 and response.context["branch_rows"] == []
    assert response.context["pairs"] == [] and response.context["groups"] == []
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and f'href="?year={today.year}&amp;org={tree.a.pk}"' in html
    assert 'data-testid="talk-branches"' not in html and 'data-testid="talk-totals"' not in html
    assert 'data-testid="n-talks"' not in html and 'data-testid="n-pairs"' not in html
    assert "熟悉业务" not in html
    assert 'data-testid="talks"' in html and "书记甲" in html  # the latest talks, at most 100
    response = client.get(reverse("talks:index"), {"org": tree.a.pk})  # 甲委: two 党支部
    html = response.content.decode()
    assert response.context["wide"] is None and 'data-testid="wide-scope"' not in html
    assert 'data-testid="talk-branches"' in html and 'data-org="A2"' in html
    assert 'data-testid="n-talks">1<' in html and "熟悉业务" in html
    login(client, users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(reverse("talks:index"))
    assert response.context["wide"] is None and 'data-testid="talk-branches"' in response.content.decode()


def test_choosing_the_branch_over_a_range_too_wide_narrows_it_first(client, users, tree, settings):
    """The pages choosing the branch to record for list at most WIDE_LIST_BRANCHES 党支部: above, the organisations
    one level down narrow the range (?within=); narrowed to 甲委, its branches are offered, one of them chosen
    the form follows. An organisation outside the user's scope (or none) is a 404."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    login(client, users["gongwei"])
    for name in ("talks:talk_new", "talks:pair_new", "talks:group_new"):
        html = client.get(reverse(name)).content.decode()
        assert 'data-testid="wide-scope"' in html and 'data-testid="choose-org"' not in html, name
        assert f'href="?within={tree.a.pk}"' in html and f'href="?within={tree.b.pk}"' in html
        assert f'href="?org={tree.a1.pk}"' not in html
        html = client.get(reverse(name), {"within": tree.a.pk}).content.decode()
        assert 'data-testid="wide-scope"' not in html and 'data-testid="choose-org"' in html, name
        assert f'href="?org={tree.a1.pk}"' in html and f'href="?org={tree.a2.pk}"' in html
        assert f'href="?org={tree.b1.pk}"' not in html
        assert client.get(reverse(name), {"within": "x"}).status_code == 404
    assert (
        f'href="?org={tree.a.pk}"'
        in client.get(reverse("talks:group_new"), {"within": tree.a.pk}).content.decode()
    )
    response = client.get(reverse("talks:talk_new"), {"org": tree.a1.pk})  # chosen: the form
    assert response.status_code == 200 and 'data-testid="choose-org"' not in response.content.decode()
    settings.WIDE_LIST_BRANCHES = 1  # 甲委 too wide: its branches are chosen at once
    html = client.get(reverse("talks:talk_new"), {"within": tree.a.pk}).content.decode()
    assert 'data-testid="wide-scope"' in html and f'href="?org={tree.a1.pk}"' in html
    html = client.get(reverse("talks:group_new"), {"within": tree.a.pk}).content.decode()
    assert f'href="?org={tree.a.pk}"' in html  # a 党委 may have its own 学习小组
    settings.WIDE_LIST_BRANCHES = 2
    login(client, users["dangwei_a"])  # 甲委's own range: listed
    for name in ("talks:talk_new", "talks:pair_new", "talks:group_new"):
        html = client.get(reverse(name)).content.decode()
        assert 'data-testid="choose-org"' in html and f'href="?org={tree.a1.pk}"' in html, name
        assert client.get(reverse(name), {"within": tree.b.pk}).status_code == 404, name


def test_members_and_users_without_a_role_are_refused(client, users):
    assert login(client, users["member_a1"]).get(reverse("talks:index")).status_code == 403
    assert login(client, users["norole"]).get(reverse("talks:index")).status_code == 403


def test_record_a_talk_through_the_form(client, a1, users, today):
    login(client, users["branch_a1"])
    form = client.get(reverse("talks:talk_new"))  # the only branch is chosen
    assert form.status_code == 200 and "党员戊" in form.content.decode()
    response = client.post(
        reverse("talks:talk_new"),
        {"org": a1.org.pk, "date": today.isoformat(), "participants": [a1.shuji.pk, a1.zuzhi.pk], "form": ""},
    )
    assert response.status_code == 302
    talk = Talk.objects.get()
    assert set(talk.participants.all()) == {a1.shuji, a1.zuzhi}
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="n-committee_committee">1<' in page


def test_a_refused_talk_is_shown_on_the_form_and_writes_nothing(client, a1, users, today):
    login(client, users["branch_a1"])
    response = client.post(
        reverse("talks:talk_new"), {"org": a1.org.pk, "date": today.isoformat(), "participants": [a1.m1.pk]}
    )
    assert response.status_code == 400
    assert "至少需要两名党员" in response.content.decode()
    assert not Talk.objects.exists()


def test_out_of_scope_writes_are_404(client, a1, users, today):
    talk = services.record_talk(actor=None, org=a1.org, date=today, participants=[a1.m1, a1.m2])
    pair = services.create_pair(
        actor=None, org=a1.org, mentor=a1.shuji, mentee=a1.m1, started_on=today, goal="x"
    )
    group = services.create_youth_group(
        actor=None, org=a1.org, name="青年组", leader=a1.m1, members=[], founded_on=today
    )
    login(client, users["branch_a2"])
    events = AuditEvent.objects.count()
    assert client.post(reverse("talks:talk_delete", args=[talk.pk])).status_code == 404
    assert client.post(reverse("talks:pair_end", args=[pair.pk]), {"ended_on": today}).status_code == 404
    assert client.get(reverse("talks:group", args=[group.pk])).status_code == 404
    post = {"org": a1.org.pk, "date": today.isoformat(), "participants": [a1.m1.pk, a1.m2.pk]}
    assert client.post(reverse("talks:talk_new"), post).status_code == 404
    assert client.get(reverse("talks:pair_new") + f"?org={a1.org.pk}").status_code == 404
    assert AuditEvent.objects.count() == events
    assert Talk.objects.count() == 1 and Pair.objects.get().ended_on is None


def test_pair_and_group_pages(client, a1, users, tree, today):
    login(client, users["dangwei_a"])
    response = client.post(
        reverse("talks:pair_new"),
        {
            "org": a1.org.pk,
            "mentor": a1.shuji.pk,
            "mentee": a1.m2.pk,
            "started_on": today.isoformat(),
            "ended_on": "",
            "goal": "熟悉业务",
        },
    )
    assert response.status_code == 302 and Pair.objects.get().goal == "熟悉业务"
    response = client.post(
        reverse("talks:group_new"),
        {
            "org": tree.a.pk,
            "name": "甲委青年理论学习小组",
            "founded_on": today.isoformat(),
            "leader": a1.m1.pk,
            "members": [a1.m2.pk],
        },
    )
    group = YouthGroup.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("talks:group", args=[group.pk])
    response = client.post(
        reverse("talks:group", args=[group.pk]),
        {"date": today.isoformat(), "topic": "学习党章", "participants": [a1.m1.pk]},
    )
    assert response.status_code == 302 and YouthActivity.objects.get().topic == "学习党章"
    page = client.get(reverse("talks:index")).content.decode()
    assert "本年活动 1 次" in page and "熟悉业务" in page


def test_index_runs_a_bounded_number_of_queries(client, a1, users, tree, make_member, today):
    login(client, users["gongwei"])
    client.get(reverse("talks:index"))  # warm up (session, scope)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("talks:index")).status_code == 200
        return len(ctx.captured_queries)

    services.record_talk(actor=None, org=a1.org, date=today, participants=[a1.shuji, a1.m1])
    services.create_pair(actor=None, org=a1.org, mentor=a1.shuji, mentee=a1.m1, started_on=today, goal="x")
    services.create_youth_group(
        actor=None, org=tree.a, name="组一", leader=a1.m1, members=[], founded_on=today
    )
    few = measure()
    others = [make_member(tree.b1, name=f"乙{i}") for i in range(4)]
    for i in range(3):
        services.record_talk(actor=None, org=tree.b1, date=today, participants=others[i : i + 2])
        services.record_talk(actor=None, org=a1.org, date=today, participants=[a1.m1, a1.m2])
    services.create_pair(
        actor=None, org=tree.b1, mentor=others[0], mentee=others[1], started_on=today, goal="y"
    )
    services.create_youth_group(
        actor=None, org=tree.b, name="组二", leader=others[2], members=[], founded_on=today
    )
    assert measure() == few


def test_a_grant_without_descendants_sees_no_branch_members_on_the_talks_pages(
    client, a1, users, tree, make_user, today
):
    """A 党委管理员 over 甲委 without descendants: 甲一's talks are not in 甲委's index, the group pickers
    offer none of 甲一's members, and 甲委's group names none of them (they are counted, and stay when a
    save is refused). The grant with descendants sees them all."""
    services.record_talk(actor=None, org=a1.org, date=today, participants=[a1.shuji, a1.m1])
    group = services.create_youth_group(
        actor=None, org=tree.a, name="甲委青年组", leader=a1.m1, members=[a1.m2], founded_on=today
    )
    services.record_youth_activity(
        actor=None, group=group, date=today, topic="学习党章", participants=[a1.m1]
    )
    only_a = make_user("only_a", "dangwei_admin", tree.a, include_descendants=False)
    login(client, only_a)

    page = client.get(reverse("talks:index"), {"org": tree.a.pk}).content.decode()
    assert "书记甲" not in page and "党员丁" not in page and "甲委青年组" in page
    assert client.get(reverse("talks:index"), {"org": tree.a1.pk}).status_code == 404
    form = client.get(reverse("talks:group_new"), {"org": tree.a.pk})
    assert form.status_code == 200
    assert form.context["form"].fields["leader"].choices == [("", "—")]
    assert form.context["form"].fields["members"].choices == []
    response = client.get(reverse("talks:group", args=[group.pk]))
    page = response.content.decode()
    assert response.context["members"] == [] and response.context["hidden"] == 2
    assert response.context["leader_visible"] is False
    assert "党员丁" not in page and "党员戊" not in page and "另有 2 名成员不在您的管理范围内" in page
    assert response.context["activities"][0][1] == []
    assert response.context["members_form"].fields["members"].choices == []

    events = AuditEvent.objects.count()
    response = client.post(
        reverse("talks:group_members", args=[group.pk]), {"leader": a1.m1.pk, "members": [a1.m1.pk]}
    )
    assert response.status_code == 302
    assert set(group.members.values_list("name", flat=True)) == {"党员丁", "党员戊"}
    new_group = {"org": tree.a.pk, "name": "新组", "founded_on": today.isoformat(), "leader": a1.m1.pk}
    assert client.post(reverse("talks:group_new"), new_group).status_code == 400
    assert not YouthGroup.objects.filter(name="新组").exists()
    assert AuditEvent.objects.count() == events

    login(client, users["dangwei_a"])
    page = client.get(reverse("talks:index"), {"org": tree.a.pk}).content.decode()
    assert "书记甲" in page and "党员丁" in page
    response = client.get(reverse("talks:group", args=[group.pk]))
    assert [m.name for m in response.context["members"]] == ["党员丁", "党员戊"]
    assert response.context["hidden"] == 0 and response.context["leader_visible"] is True
    assert response.context["activities"][0][1] == ["党员丁"]
    assert "另有" not in response.content.decode()
    choices = response.context["members_form"].fields["members"].choices
    assert [name for _pk, name in choices] == [  # pinyin order: dang, dang, li, shu, xuan, zu
        "党员丁",
        "党员戊",
        "李党员",
        "书记甲",
        "宣传委员丙",
        "组织委员乙",
    ]


def test_saving_a_groups_members_keeps_those_the_user_cannot_see(
    client, a1, tree, make_member, make_user, today
):
    """甲委 without descendants plus 甲一: 甲二's member of 甲委's group is neither offered nor named, and it
    stays in the group when the user saves the members they can see."""
    from dangjian.accounts.models import RoleAssignment

    a2_member = make_member(tree.a2, name="甲二青年")
    group = services.create_youth_group(
        actor=None, org=tree.a, name="甲委青年组", leader=a1.m1, members=[a1.m2, a2_member], founded_on=today
    )
    user = make_user("a_and_a1", "dangwei_admin", tree.a, include_descendants=False)
    RoleAssignment.objects.create(user=user, role="branch_admin", org=tree.a1, include_descendants=True)
    login(client, user)
    response = client.get(reverse("talks:group", args=[group.pk]))
    assert [m.name for m in response.context["members"]] == ["党员丁", "党员戊"]
    assert response.context["hidden"] == 1 and "甲二青年" not in response.content.decode()
    choices = response.context["members_form"].fields["members"].choices
    assert "甲二青年" not in [name for _pk, name in choices]
    response = client.post(
        reverse("talks:group_members", args=[group.pk]), {"leader": a1.shuji.pk, "members": [a1.m1.pk]}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.leader == a1.shuji
    assert set(group.members.values_list("name", flat=True)) == {"书记甲", "党员丁", "甲二青年"}


def test_the_same_pair_saved_twice_is_refused_on_the_form(client, a1, users, today):
    login(client, users["branch_a1"])
    data = {
        "org": a1.org.pk,
        "mentor": a1.shuji.pk,
        "mentee": a1.m2.pk,
        "started_on": today.isoformat(),
        "ended_on": "",
        "goal": "熟悉业务",
    }
    assert client.post(reverse("talks:pair_new"), data).status_code == 302
    response = client.post(reverse("talks:pair_new"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert f"书记甲与党员戊已结对（{today:%Y-%m-%d}起，尚未结束），与本次登记的期间重叠" in html
    assert Pair.objects.count() == 1
