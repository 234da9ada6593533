import datetime as dt

from dangjian.members.timeline import TIMELINE_SOURCES, timeline
from dangjian.talks import services

D = dt.date


def test_timeline_source(a1, tree):
    assert "talks" in TIMELINE_SOURCES
    services.record_talk(actor=None, org=a1.org, date=D(2025, 3, 1), participants=[a1.shuji, a1.m1])
    services.create_pair(
        actor=None,
        org=a1.org,
        mentor=a1.shuji,
        mentee=a1.m1,
        started_on=D(2025, 4, 1),
        ended_on=D(2025, 9, 30),
        goal="传帮带",
    )
    group = services.create_youth_group(
        actor=None, org=tree.a, name="青年组", leader=a1.m1, members=[], founded_on=D(2025, 1, 1)
    )
    services.record_youth_activity(
        actor=None, group=group, date=D(2025, 2, 1), topic="学习党章", participants=[a1.m1]
    )
    events = [e for e in timeline(a1.m1, on=D(2025, 12, 31)) if e.kind.startswith("talks.")]
    assert [(e.date, e.kind) for e in events] == [
        (D(2025, 1, 1), "talks.youth_group"),
        (D(2025, 2, 1), "talks.youth_activity"),
        (D(2025, 3, 1), "talks.talk"),
        (D(2025, 4, 1), "talks.pair"),
        (D(2025, 9, 30), "talks.pair_ended"),
    ]
    talk = events[2]
    assert talk.title == "与书记甲谈心谈话" and talk.detail == "支委与党员"
    assert talk.group == "meetings"
    assert [e.kind for e in timeline(a1.m1, on=D(2025, 3, 31)) if e.kind.startswith("talks.")][
        -1
    ] == "talks.talk"
