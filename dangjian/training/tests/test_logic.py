"""The TRAIN-* logic on hand-built facts (no database), at its edges."""

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.training import logic
from dangjian.training.logic import Person, SecretaryPost, StudyRow, TrainingFacts, TrainingRow
from dangjian.training.params import load_params, params_path

D = dt.date
LEVELS = ["county_rotation", "other"]


def facts(posts=(), trainings=None, members=(), cadres=(), study=None):
    return TrainingFacts(
        secretaries=tuple(posts),
        cadres=tuple(cadres),
        members=tuple(members),
        trainings=trainings or {},
        study=study or {},
    )


def row(day, level="county_rotation", hours="8"):
    return TrainingRow(1, "轮训", level, day, day, Decimal(hours))


SEC = SecretaryPost(1, "王书记", D(2026, 3, 15), None)


def new6m(f, as_of):
    return logic.secretary_new(f, year=2026, as_of=as_of, levels=LEVELS, months=6)


def test_new_secretary_untrained_on_the_deadline_fails():
    r = new6m(facts([SEC]), D(2026, 9, 15))
    assert r.status == "fail"
    assert [g.name for g in r.gaps] == ["王书记"]
    assert "2026-09-15" in r.message


def test_new_secretary_trained_on_the_deadline_passes():
    r = new6m(facts([SEC], {1: (row(D(2026, 9, 15)),)}), D(2026, 9, 15))
    assert r.status == "pass"


def test_new_secretary_before_the_deadline_is_pending_and_a_training_before_appointment_does_not_count():
    assert new6m(facts([SEC]), D(2026, 9, 14)).status == "pending"
    f = facts([SEC], {1: (row(D(2026, 3, 14)),)})
    assert new6m(f, D(2026, 9, 15)).status == "fail"
    late = facts([SEC], {1: (row(D(2026, 9, 16)),)})
    assert new6m(late, D(2026, 9, 20)).status == "fail"


def test_a_reappointment_at_the_election_is_not_a_new_secretary():
    posts = [SecretaryPost(1, "王书记", D(2023, 3, 1), D(2026, 3, 15)), SEC]
    r = new6m(facts(posts), D(2026, 10, 1))
    assert r.status == "not_applicable"


def test_a_secretary_who_left_before_the_deadline_untrained_is_not_counted():
    gone = SecretaryPost(1, "王书记", D(2026, 3, 15), D(2026, 5, 1))
    assert new6m(facts([gone]), D(2026, 10, 1)).status == "not_applicable"


def test_an_appointment_of_last_year_with_its_deadline_this_year_is_checked():
    post = SecretaryPost(1, "王书记", D(2025, 11, 1), None)
    assert new6m(facts([post]), D(2026, 6, 1)).status == "fail"
    assert new6m(facts([post], {1: (row(D(2026, 4, 1)),)}), D(2026, 6, 1)).status == "pass"


def annual(f, as_of, levels=("county_rotation",)):
    return logic.secretary_annual(f, year=2026, as_of=as_of, levels=levels, new_grace_months=6)


def test_annual_rotation_training_pending_then_fail_and_only_the_county_level_counts():
    old = SecretaryPost(1, "王书记", D(2020, 1, 1), None)
    assert annual(facts([old]), D(2026, 6, 30)).status == "pending"
    assert annual(facts([old]), D(2026, 12, 31)).status == "fail"
    other = facts([old], {1: (row(D(2026, 5, 1), level="other"),)})
    assert annual(other, D(2026, 12, 31)).status == "fail"
    trained = facts([old], {1: (row(D(2026, 5, 1)),)})
    assert annual(trained, D(2026, 6, 30)).status == "pass"
    last_year = facts([old], {1: (row(D(2025, 5, 1)),)})
    assert annual(last_year, D(2026, 12, 31)).status == "fail"


def test_annual_leaves_a_secretary_new_in_the_second_half_to_the_6_month_rule():
    late = SecretaryPost(1, "王书记", D(2026, 8, 1), None)
    assert annual(facts([late]), D(2026, 12, 31)).status == "not_applicable"
    early = SecretaryPost(1, "王书记", D(2026, 6, 30), None)
    assert annual(facts([early]), D(2026, 12, 31)).status == "fail"
    assert annual(facts([]), D(2026, 12, 31)).status == "not_applicable"


def test_hours_count_trainings_and_the_named_platforms_pending_until_the_year_is_over():
    params = load_params()
    people = [Person(1, "甲"), Person(2, "乙")]
    f = facts(
        members=people,
        trainings={1: (row(D(2026, 3, 1), hours="20"), row(D(2025, 12, 1), hours="50"))},
        study={
            1: (StudyRow("xuexi", "2026", 90000, Decimal("12")),),
            2: (
                StudyRow("sh_cadre", "2026-01", None, Decimal("20")),
                StudyRow("sh_cadre", "2026-02", None, Decimal("12")),
            ),
        },
    )
    kwargs = dict(year=2026, min_hours=Decimal("32"), params=params, who="党员")
    r = logic.hours_rule(people, f, as_of=D(2026, 12, 31), platforms=["xuexi", "sh_cadre"], **kwargs)
    assert r.status == "pass", r.message  # 20 + 12 and 20 + 12; last year's training does not count
    r = logic.hours_rule(people, f, as_of=D(2026, 12, 31), platforms=["sh_cadre"], **kwargs)
    assert r.status == "fail" and [g.name for g in r.gaps] == ["甲"]
    assert "差12学时" in r.gaps[0].missing
    r = logic.hours_rule(people, f, as_of=D(2026, 6, 30), platforms=["sh_cadre"], **kwargs)
    assert r.status == "pending"


def test_a_whole_year_record_replaces_the_months_and_points_convert_only_when_configured(tmp_path):
    params = load_params()
    rows = [
        StudyRow("sh_cadre", "2026-01", None, Decimal("5")),
        StudyRow("sh_cadre", "2026", None, Decimal("30")),
    ]
    assert logic.platform_hours(rows, 2026, ["sh_cadre"], params) == Decimal("30")
    pts = [StudyRow("xuexi", "2026", 9000, None)]
    assert logic.platform_hours(pts, 2026, ["xuexi"], params) == 0  # points are not converted by default
    path = tmp_path / "study-platforms.yaml"
    text = params_path().read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "hours_from: hours\n    points_per_hour: null", "hours_from: points\n    points_per_hour: 300", 1
        ),
        encoding="utf-8",
    )
    assert logic.platform_hours(pts, 2026, ["xuexi"], load_params(path)) == Decimal("30")


@pytest.mark.parametrize(
    "text,message",
    [
        ("platforms: {}", "缺少平台"),
        (
            "platforms:\n  xuexi: {name: x, hours_from: points, basis: b, confidence: LOW}\n  sh_cadre: {name: y, hours_from: hours, basis: b, confidence: LOW}",
            "points_per_hour",
        ),
        (
            "platforms:\n  xuexi: {name: x, hours_from: hours, basis: b, confidence: LOW, extra: 1}\n  sh_cadre: {name: y, hours_from: hours, basis: b, confidence: LOW}",
            "extra",
        ),
    ],
)
def test_the_platform_parameters_are_validated(tmp_path, text, message):
    from dangjian.training.params import StudyParamsError

    path = tmp_path / "study-platforms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyParamsError) as exc:
        load_params(path)
    assert message in exc.value.message


def test_the_hours_message_names_the_members_with_the_same_shortfall_together():
    from django.utils import translation

    people = [Person(1, "甲"), Person(2, "乙"), Person(3, "丙"), Person(4, "丁")]
    f = facts(
        members=people, trainings={2: (row(D(2026, 3, 1), hours="8"),), 4: (row(D(2026, 4, 1), hours="40"),)}
    )
    r = logic.hours_rule(
        people,
        f,
        year=2026,
        as_of=D(2026, 12, 31),
        min_hours=Decimal("32"),
        platforms=[],
        params=load_params(),
        who="党员",
    )
    assert r.status == "fail" and [g.name for g in r.gaps] == ["甲", "乙", "丙"]  # every member's own gap
    with translation.override("zh-hans"):
        assert str(r.message) == (
            "3名党员2026年学时未达到32学时：甲、丙（已完成0学时，差32学时）、乙（已完成8学时，差24学时）。"
        )
