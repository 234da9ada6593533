"""Pages: scope (outside → 404), entry forms calling the services, bounded queries on the index."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.talks import services
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup

D = dt.date
TODAY = dt.date.today()


def login(client, user):
    client.force_login(user)
    return client


def test_index_shows_only_the_users_scope(client, a1, users, tree, make_member):
    services.record_talk(actor=None, org=a1.org, date=TODAY, participants=[a1.shuji, a1.m1])
    other = [make_member(tree.a2, name=n) for n in ("甲二甲", "甲二乙")]
    services.record_talk(actor=None, org=tree.a2, date=TODAY, participants=other)
    page = login(client, users["branch_a1"]).get(reverse("talks:index")).content.decode()
    assert "书记甲" in page and "甲二甲" not in page
    assert 'data-testid="n-committee_member">1<' in page
    page = client.get(reverse("talks:index") + f"?org={tree.a2.pk}")
    assert page.status_code == 404
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("talks:index")).content.decode()
    assert "书记甲" in page and "甲二甲" in page
    assert 'data-testid="n-talks">2<' in page


def test_members_and_users_without_a_role_are_refused(client, users):
    assert login(client, users["member_a1"]).get(reverse("talks:index")).status_code == 403
    assert login(client, users["norole"]).get(reverse("talks:index")).status_code == 403


def test_record_a_talk_through_the_form(client, a1, users):
    login(client, users["branch_a1"])
    form = client.get(reverse("talks:talk_new"))  # the only branch is chosen
    assert form.status_code == 200 and "党员戊" in form.content.decode()
    response = client.post(
        reverse("talks:talk_new"),
        {"org": a1.org.pk, "date": TODAY.isoformat(), "participants": [a1.shuji.pk, a1.zuzhi.pk], "form": ""},
    )
    assert response.status_code == 302
    talk = Talk.objects.get()
    assert set(talk.participants.all()) == {a1.shuji, a1.zuzhi}
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="n-committee_committee">1<' in page


def test_a_refused_talk_is_shown_on_the_form_and_writes_nothing(client, a1, users):
    login(client, users["branch_a1"])
    response = client.post(
        reverse("talks:talk_new"), {"org": a1.org.pk, "date": TODAY.isoformat(), "participants": [a1.m1.pk]}
    )
    assert response.status_code == 400
    assert "至少需要两名党员" in response.content.decode()
    assert not Talk.objects.exists()


def test_out_of_scope_writes_are_404(client, a1, users):
    talk = services.record_talk(actor=None, org=a1.org, date=TODAY, participants=[a1.m1, a1.m2])
    pair = services.create_pair(
        actor=None, org=a1.org, mentor=a1.shuji, mentee=a1.m1, started_on=TODAY, goal="x"
    )
    group = services.create_youth_group(
        actor=None, org=a1.org, name="青年组", leader=a1.m1, members=[], founded_on=TODAY
    )
    login(client, users["branch_a2"])
    events = AuditEvent.objects.count()
    assert client.post(reverse("talks:talk_delete", args=[talk.pk])).status_code == 404
    assert client.post(reverse("talks:pair_end", args=[pair.pk]), {"ended_on": TODAY}).status_code == 404
    assert client.get(reverse("talks:group", args=[group.pk])).status_code == 404
    post = {"org": a1.org.pk, "date": TODAY.isoformat(), "participants": [a1.m1.pk, a1.m2.pk]}
    assert client.post(reverse("talks:talk_new"), post).status_code == 404
    assert client.get(reverse("talks:pair_new") + f"?org={a1.org.pk}").status_code == 404
    assert AuditEvent.objects.count() == events
    assert Talk.objects.count() == 1 and Pair.objects.get().ended_on is None


def test_pair_and_group_pages(client, a1, users, tree):
    login(client, users["dangwei_a"])
    response = client.post(
        reverse("talks:pair_new"),
        {
            "org": a1.org.pk,
            "mentor": a1.shuji.pk,
            "mentee": a1.m2.pk,
            "started_on": TODAY.isoformat(),
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
            "founded_on": TODAY.isoformat(),
            "leader": a1.m1.pk,
            "members": [a1.m2.pk],
        },
    )
    group = YouthGroup.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("talks:group", args=[group.pk])
    response = client.post(
        reverse("talks:group", args=[group.pk]),
        {"date": TODAY.isoformat(), "topic": "学习党章", "participants": [a1.m1.pk]},
    )
    assert response.status_code == 302 and YouthActivity.objects.get().topic == "学习党章"
    page = client.get(reverse("talks:index")).content.decode()
    assert "本年活动 1 次" in page and "熟悉业务" in page


def test_index_runs_a_bounded_number_of_queries(client, a1, users, tree, make_member):
    login(client, users["gongwei"])
    client.get(reverse("talks:index"))  # warm up (session, scope)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("talks:index")).status_code == 200
        return len(ctx.captured_queries)

    services.record_talk(actor=None, org=a1.org, date=TODAY, participants=[a1.shuji, a1.m1])
    services.create_pair(actor=None, org=a1.org, mentor=a1.shuji, mentee=a1.m1, started_on=TODAY, goal="x")
    services.create_youth_group(
        actor=None, org=tree.a, name="组一", leader=a1.m1, members=[], founded_on=TODAY
    )
    few = measure()
    others = [make_member(tree.b1, name=f"乙{i}") for i in range(4)]
    for i in range(3):
        services.record_talk(actor=None, org=tree.b1, date=TODAY, participants=others[i : i + 2])
        services.record_talk(actor=None, org=a1.org, date=TODAY, participants=[a1.m1, a1.m2])
    services.create_pair(
        actor=None, org=tree.b1, mentor=others[0], mentee=others[1], started_on=TODAY, goal="y"
    )
    services.create_youth_group(
        actor=None, org=tree.b, name="组二", leader=others[2], members=[], founded_on=TODAY
    )
    assert measure() == few
