"""Every member makes a 个人自评 (BR-16): the evaluation's page names who has none before the 测评 and before the
公示; the 公示 begins without them only when the administrator confirms it ("仍然公示", counted in the audit event).
A step is never dated before the step dated last."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.evaluations import services
from dangjian.evaluations.tests.conftest import advance_to, paper_vote, state

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def graded(branch, opened, *, selfs: int):
    """The evaluation at 组织评定, every 正式党员 graded 合格, the first `selfs` participants (by pk) with a 自评."""
    for p in opened.participants.order_by("pk")[:selfs]:
        services.record_self_assessment(actor=branch.admin, participant=p, text="认真学习，按时交纳党费。")
    ev = advance_to(opened, "voting", branch.admin)
    paper_vote(ev, branch.admin)
    ev = advance_to(ev, "grading", branch.admin)
    grades = {p.pk: "qualified" for p in ev.participants.filter(formal=True)}
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades)
    return ev


def test_the_publicity_waits_for_every_self_assessment_or_a_confirmation(branch, opened):
    ev = graded(branch, opened, selfs=opened.participants.count() - 2)
    lacking = [p.member.name for p in ev.participants.select_related("member").order_by("pk")][-2:]
    before = state()
    with pytest.raises(ServiceError) as info:
        services.advance_step(actor=branch.admin, evaluation=ev)
    assert all(name in info.value.message for name in lacking)
    assert "仍然公示" in info.value.message
    assert state() == before
    ev = services.advance_step(actor=branch.admin, evaluation=ev, confirm_gaps=True)
    assert ev.step == "publicity"
    event = AuditEvent.objects.filter(object_id=str(ev.pk), action="update").latest("pk")
    assert event.after["published_without_self_assessment"] == 2


def test_with_every_self_assessment_the_publicity_needs_no_confirmation(branch, opened):
    ev = graded(branch, opened, selfs=opened.participants.count())
    ev = services.advance_step(actor=branch.admin, evaluation=ev)
    assert ev.step == "publicity"
    event = AuditEvent.objects.filter(object_id=str(ev.pk), action="update").latest("pk")
    assert "published_without_self_assessment" not in event.after


def test_a_paper_self_assessment_counts(branch, opened):
    for p in opened.participants.all():
        services.record_self_assessment(actor=branch.admin, participant=p, paper=True)
    ev = graded(branch, opened, selfs=0)
    assert services.advance_step(actor=branch.admin, evaluation=ev).step == "publicity"


def test_the_page_names_them_and_offers_the_box_before_the_publicity(branch, opened):
    page = client_of(branch.admin).get(reverse("evaluations:detail", args=[opened.pk])).content.decode()
    assert 'data-testid="self-gaps"' not in page  # 学习教育: not yet
    ev = services.advance_step(actor=branch.admin, evaluation=opened)  # 个人自评
    page = client_of(branch.admin).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    first = ev.participants.select_related("member").order_by("pk").first()
    assert 'data-testid="self-gaps"' in page and first.member.name in page
    assert 'name="confirm_gaps"' not in page  # the 测评 may begin: 自评 can still be recorded
    ev = graded(branch, ev, selfs=0)
    url = reverse("evaluations:advance", args=[ev.pk])
    page = client_of(branch.admin).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert 'name="confirm_gaps"' in page and "仍然公示" in page
    refused = client_of(branch.admin).post(url, {"step": "grading"}, follow=True).content.decode()
    assert "未公示" in refused
    ev.refresh_from_db()
    assert ev.step == "grading"
    client_of(branch.admin).post(url, {"step": "grading", "confirm_gaps": "1"})
    ev.refresh_from_db()
    assert ev.step == "publicity"


def test_a_step_is_not_dated_before_the_step_dated_last(branch, opened):
    before = state()
    with pytest.raises(ServiceError, match="不能早于本次民主评议上一步骤的日期"):
        services.advance_step(
            actor=branch.admin, evaluation=opened, on=opened.opened_on - dt.timedelta(days=1)
        )
    assert state() == before
