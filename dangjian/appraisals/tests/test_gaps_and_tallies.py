"""Before the 测评 opens, the campaign's page says which secretaries have no 述职日期 or no final report, while the
move can still be weighed (and the confirmation says how many); a paper tally over the ballots names the
secretary with the organisation, since one secretary may report for two."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.appraisals import services
from dangjian.appraisals.models import Subject, Tally
from dangjian.appraisals.tests.conftest import state, to_voting
from dangjian.core.errors import ServiceError

pytestmark = pytest.mark.django_db


def page(user, c) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("appraisals:detail", args=[c.pk])).content.decode()


def test_the_gaps_are_shown_before_the_move_to_the_voting(party, campaign):
    assert 'data-testid="voting-gaps"' not in page(party.admin, campaign)  # 准备: the 述职 is still to come
    c = services.advance(actor=party.admin, campaign=campaign)
    assert c.state == "reporting"
    services.record_reported(
        actor=party.admin, subject=c.subjects.get(org=party.tree.a1), reported_on=dt.date.today()
    )
    html = page(party.admin, c)
    warning = html[html.index('data-testid="voting-gaps"') :]
    warning = warning[: warning.index("</div>")]
    assert (
        "进入测评前请注意：未登记述职日期：钱书记（甲二支部）；未上传述职报告：赵书记（甲一支部）、钱书记（甲二支部）"
        in warning
    )
    assert 'name="confirm_gaps"' not in warning  # the 测评 may open: a warning, no box
    form = html[html.rindex("<form", 0, html.index('data-testid="voting-gaps"')) :]
    confirm = htmllib.unescape(form[form.index('data-confirm="') + 14 : form.index('">')])
    assert (
        confirm
        == "确定进入“测评”阶段？还有 2 名书记未登记述职日期或未上传述职报告（见页面提示）。进入后不能退回。"
    )
    # in the 测评, the closing's own warning (with its box) and not this one
    c = services.advance(actor=party.admin, campaign=c)
    html = page(party.admin, c)
    assert 'data-testid="voting-gaps"' not in html and 'data-testid="closing-gaps"' in html


def test_nothing_is_said_when_every_secretary_has_reported(party, campaign, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    c = services.advance(actor=party.admin, campaign=campaign)
    for s in c.subjects.all():
        services.record_reported(actor=party.admin, subject=s, reported_on=dt.date.today())
        services.upload_report(
            actor=party.admin, subject=s, upload=SimpleUploadedFile("述职报告.pdf", b"%PDF-1.4 report")
        )
    html = page(party.admin, c)
    assert 'data-testid="voting-gaps"' not in html and "确定进入“测评”阶段？进入后不能退回。" in html


def test_a_tally_over_the_ballots_names_the_secretary_with_the_organisation(party, campaign):
    Subject.objects.filter(campaign=campaign, org=party.tree.a2).update(secretary=party.zhao)  # 书记 of both
    c = to_voting(campaign, party.admin)
    item = c.items.get()
    counts = {(s.pk, item.pk): {"good": 2, "average": 1} for s in c.subjects.all()}
    before = state()
    with pytest.raises(ServiceError) as refused:
        services.record_paper_tallies(actor=party.admin, campaign=c, paper_ballots=2, counts=counts)
    assert refused.value.message == (
        "赵书记（甲一支部，综合评价）、赵书记（甲二支部，综合评价）的各等次票数之和超过收回的纸质测评票数（2张），请核对。"
    )
    assert state() == before
    services.record_paper_tallies(actor=party.admin, campaign=c, paper_ballots=3, counts=counts)
    assert sorted(Tally.objects.filter(rating="good").values_list("paper", flat=True)) == [2, 2]
