"""A member writes their own 个人自评 online: their own record only, during the 个人自评 step only, within the
length limit; the audit trail says it was written, not what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.evaluations import services
from dangjian.evaluations.models import Participant
from dangjian.evaluations.services import SELF_TEXT_MAX
from dangjian.evaluations.tests.conftest import advance_to, state

pytestmark = pytest.mark.django_db
TEXT = "按时参加组织生活，认真学习党的创新理论，工作中还有不够主动的地方。"


def own(ev, member) -> Participant:
    return ev.participants.get(member=member)


def test_a_member_writes_and_edits_their_own_self_assessment(branch, opened):
    ev = advance_to(opened, "self", branch.admin)
    m = branch.formal[0]
    services.write_own_self_assessment(actor=branch.accounts[m.pk], participant=own(ev, m), text=f"  {TEXT} ")
    assert own(ev, m).self_text == TEXT and own(ev, m).self_on is not None
    services.write_own_self_assessment(actor=branch.accounts[m.pk], participant=own(ev, m), text="改过的自评")
    assert own(ev, m).self_text == "改过的自评"
    event = AuditEvent.objects.filter(object_type="evaluations.participant").latest("pk")
    assert event.after == {"member": m.name, "self_text": len("改过的自评")}
    assert "改过" not in f"{event.before} {event.after} {event.note}"


def test_only_their_own_record(branch, opened):
    ev = advance_to(opened, "self", branch.admin)
    before = state()
    with pytest.raises(OutOfScope):
        services.write_own_self_assessment(
            actor=branch.accounts[branch.formal[0].pk], participant=own(ev, branch.formal[1]), text=TEXT
        )
    with pytest.raises(OutOfScope):  # an administrator writes no member's text as theirs
        services.write_own_self_assessment(
            actor=branch.admin, participant=own(ev, branch.formal[1]), text=TEXT
        )
    assert state() == before


@pytest.mark.parametrize("step", ["study", "voting"])
def test_only_during_the_self_assessment_step(branch, opened, step):
    ev = advance_to(opened, step, branch.admin)
    m = branch.formal[0]
    before = state()
    with pytest.raises(ServiceError, match="不能进行此项操作"):
        services.write_own_self_assessment(actor=branch.accounts[m.pk], participant=own(ev, m), text=TEXT)
    assert state() == before


@pytest.mark.parametrize(
    ("text", "ok"),
    [("", False), ("  ", False), ("字" * SELF_TEXT_MAX, True), ("字" * (SELF_TEXT_MAX + 1), False)],
)
def test_the_text_is_required_and_at_most_the_limit(branch, opened, text, ok):
    ev = advance_to(opened, "self", branch.admin)
    m = branch.formal[0]
    if ok:
        services.write_own_self_assessment(actor=branch.accounts[m.pk], participant=own(ev, m), text=text)
        assert own(ev, m).self_text == text
        return
    before = state()
    with pytest.raises(ServiceError, match="自评内容"):
        services.write_own_self_assessment(actor=branch.accounts[m.pk], participant=own(ev, m), text=text)
    assert state() == before


def test_the_member_pages_offer_the_form_in_the_step_and_save_it(branch, opened):
    m = branch.formal[0]
    client = Client()
    client.force_login(branch.accounts[m.pk])
    assert 'data-testid="own-self-form"' not in client.get(reverse("evaluations:mine")).content.decode()
    ev = advance_to(opened, "self", branch.admin)
    assert 'data-testid="own-self-form"' in client.get(reverse("evaluations:mine")).content.decode()
    home = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="my-self-assessment"' in home
    p = own(ev, m)
    url = reverse("evaluations:own_self_assessment", args=[ev.pk])
    response = client.post(url, {f"s{p.pk}-text": TEXT, "back": "home"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert own(ev, m).self_text == TEXT
    too_long = client.post(url, {f"s{p.pk}-text": "字" * (SELF_TEXT_MAX + 1)}, follow=True).content.decode()
    assert "自评内容不超过2000字。" in too_long and own(ev, m).self_text == TEXT
    # the administrator reads it on the evaluation's page
    admin = Client()
    admin.force_login(branch.admin)
    assert TEXT in admin.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()


def test_someone_outside_the_evaluation_gets_a_404(branch, opened, tree, make_member, make_user):
    ev = advance_to(opened, "self", branch.admin)
    stranger = make_member(tree.a2, name="甲二党员")
    client = Client()
    client.force_login(make_user("stranger", "member", tree.a2, member=stranger))
    before = state()
    response = client.post(reverse("evaluations:own_self_assessment", args=[ev.pk]), {"text": TEXT})
    assert response.status_code == 404
    assert state() == before


def test_line_breaks_count_one_character_each(branch, opened):
    """A browser sends each line break as CR LF: a text within the limit as the box counts it is kept whole,
    stored with plain line breaks."""
    ev = advance_to(opened, "self", branch.admin)
    m = branch.formal[0]
    client = Client()
    client.force_login(branch.accounts[m.pk])
    p = own(ev, m)
    lines = ["字" * 49] * 40  # 1,960 characters and 39 line breaks: 1,999 in the box
    posted = "\r\n".join(lines)
    url = reverse("evaluations:own_self_assessment", args=[ev.pk])
    response = client.post(url, {f"s{p.pk}-text": posted, "back": "mine"})
    assert response.status_code == 302
    assert own(ev, m).self_text == "\n".join(lines)


@pytest.mark.parametrize("back", ["mine", "home"])
def test_a_refused_text_is_shown_again_with_the_error(branch, opened, back):
    ev = advance_to(opened, "self", branch.admin)
    m = branch.formal[0]
    client = Client()
    client.force_login(branch.accounts[m.pk])
    p = own(ev, m)
    services.write_own_self_assessment(actor=branch.accounts[m.pk], participant=p, text="旧的自评")
    posted = "新写的自评" + "字" * SELF_TEXT_MAX
    before = state()
    url = reverse("evaluations:own_self_assessment", args=[ev.pk])
    response = client.post(url, {f"s{p.pk}-text": posted, "back": back})
    assert response.status_code == 400
    page = response.content.decode()
    assert posted in page and "旧的自评" not in page
    assert 'data-testid="own-self-error"' in page and "自评内容不超过2000字。" in page
    assert "is-invalid" in page
    assert state() == before
