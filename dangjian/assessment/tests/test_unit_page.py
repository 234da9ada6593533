"""A unit's page: the deductions name each rule by its title and each organisation by its name, linked to its
compliance page for the year; a score, a 自评 or a ruling that cannot be saved says exactly why and keeps what was
typed; a claimed score without the contest ticked is refused, not dropped; a ruling goes back to the unit page it
was made on."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.assessment import services
from dangjian.assessment.models import ManualScore, Round, SelfReview
from dangjian.assessment.tests.test_selectors import YEAR, fail, stamp
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core.errors import ServiceError


def section(html: str, indicator: str) -> str:
    start = html.index(f'data-indicator="{indicator}"')
    return html[start : html.index("</section>", start)]


def opened(client, users, *, review: bool = False) -> Round:
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    if review:
        client.post(reverse("assessment:advance", args=[YEAR]), {"stage": "self"})
    found = Round.objects.get()
    assert found.stage == ("review" if review else "self")
    return found


def test_deductions_name_the_rule_and_the_organisation_and_link_its_compliance_page(client, users, tree):
    stamp()
    fail(tree.a1, "DUES-BASE-DECLARED", ["2026-01", "2026-02"])
    fail(tree.a_dz, "DUES-PAID-MONTHLY", ["2026-03"])  # the 党组: outside the 机关党委 administrator's scope
    opened(client, users)
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("assessment:unit", args=[YEAR, tree.a.pk])).content.decode()
    listed = section(html, "ORG-08")
    listed = listed[listed.index('data-testid="deductions"') :]
    titles = {r.id: r.title for r in load_ruleset().rules}
    assert (
        f'<a href="/compliance/org/{tree.a1.pk}/?year={YEAR}#rule-DUES-BASE-DECLARED">甲一支部</a>：'
        f'<span title="DUES-BASE-DECLARED">{titles["DUES-BASE-DECLARED"]}</span>（2026年1月、2026年2月），扣 0.40'
    ) in listed  # the months in words, as the compliance pages say them
    # an organisation the user may not open is named, not linked
    assert (
        f'<li lang="zh-hans">甲委党组：<span title="DUES-PAID-MONTHLY">{titles["DUES-PAID-MONTHLY"]}</span>'
    ) in listed
    assert f"/compliance/org/{tree.a_dz.pk}/" not in listed
    # no internal code as text: neither the organisation's nor the rule's
    text = re.sub(r"<[^>]+>", "", listed)
    assert "（A1）" not in text and "DUES-BASE-DECLARED" not in text and "DUES-PAID-MONTHLY" not in text
    # the link opens the organisation's compliance page of the year
    assert client.get(f"/compliance/org/{tree.a1.pk}/?year={YEAR}").status_code == 200


def test_the_page_costs_the_same_queries_however_many_deductions(client, users, tree, add_branches):
    stamp()
    opened(client, users)
    url = reverse("assessment:unit", args=[YEAR, tree.a.pk])
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", ["2026-03"])
    client.get(url)  # warm the caches (rulebook, scheme)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_branches(6, 1)
    from dangjian.orgs.models import Org

    stamp(Org.objects.filter(code__startswith="AX"))
    for branch in Org.objects.filter(code__startswith="AX"):
        fail(branch, "MTG-COMMITTEE-MONTHLY", ["2026-05"])
        fail(branch, "DUES-BASE-DECLARED", ["2026-01"])
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert "甲委第6支部" in html
    assert len(many.captured_queries) == len(one.captured_queries), [q["sql"] for q in many.captured_queries]


@pytest.mark.parametrize(
    ("indicator", "points", "reason", "message"),
    [
        ("POL-02", "-1", "纪要齐全", "得分应在 0 到 10 分之间。"),
        ("POL-02", "11", "纪要齐全", "得分应在 0 到 10 分之间。"),
        ("POL-02", "4.555", "纪要齐全", "得分最多保留两位小数。"),
        ("POL-02", "八", "纪要齐全", "得分应为数字。"),
        ("POL-02", "8", "", "请写明评分理由。"),
        ("POL-02", "", "纪要齐全", "请填写得分。"),
        ("PEN-01", "6", "两个问题未整改", "扣分应在 0 到 5 分之间。"),
    ],
)
def test_a_score_not_saved_says_why_and_keeps_what_was_typed(
    client, users, tree, indicator, points, reason, message
):
    stamp()
    opened(client, users, review=True)
    response = client.post(
        reverse("assessment:score", args=[YEAR, tree.a.pk, indicator]), {"points": points, "reason": reason}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写得分和评分理由" not in html
    form = section(html, indicator)
    form = form[form.index('data-testid="score-form"') :]
    assert message in form and 'aria-invalid="true"' in form and "autofocus" in form
    assert f'name="points" id="points-{indicator}" value="{points}"' in form
    assert f'name="reason" id="reason-{indicator}" maxlength="2000" required value="{reason}"' in form
    not_saved = html[html.index('data-testid="not-saved"') :]
    assert message in not_saved[: not_saved.index("</div>")] and f'href="#ind-{indicator}"' in not_saved
    assert not ManualScore.objects.exists()


def test_a_valid_score_is_saved_and_goes_back_to_the_indicator(client, users, tree):
    stamp()
    opened(client, users, review=True)
    response = client.post(
        reverse("assessment:score", args=[YEAR, tree.a.pk, "POL-02"]), {"points": "8.5", "reason": "纪要齐全"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/units/{tree.a.pk}/#ind-POL-02")
    assert ManualScore.objects.get().points == 8.5


def test_only_an_assessor_is_told_why_a_score_was_not_saved(client, users, tree):
    stamp()
    opened(client, users, review=True)
    client.force_login(users["dangwei_a"])  # sees the unit, may not score it
    url = reverse("assessment:score", args=[YEAR, tree.a.pk, "POL-02"])
    assert client.post(url, {"points": "-1", "reason": ""}).status_code == 404


def test_a_claimed_score_without_the_contest_is_refused_and_kept(client, users, tree):
    stamp()
    opened(client, users)
    client.force_login(users["dangwei_a"])
    url = reverse("assessment:self_review", args=[YEAR, tree.a.pk, "ORG-01"])
    response = client.post(url, {"text": "四月已召开，记录漏登", "claimed": "5.5"})
    assert response.status_code == 400
    form = section(response.content.decode(), "ORG-01")
    assert "填写认为应得分须同时勾选“对本项得分提出异议”；不提出异议时请清空认为应得分。" in form
    assert "四月已召开，记录漏登</textarea>" in form and 'value="5.5" aria-invalid="true"' in form
    assert '<details class="mt-2" open>' in form  # the form stays open with what was typed
    assert not SelfReview.objects.exists()
    # a claim above the indicator's points names them
    response = client.post(url, {"text": "四月已召开", "contest": "on", "claimed": "7"})
    assert response.status_code == 400 and "认为应得的分数应在 0 到 6 分之间。" in response.content.decode()
    # ticked: saved as a contest
    assert client.post(url, {"text": "四月已召开", "contest": "on", "claimed": "5.5"}).status_code == 302
    assert SelfReview.objects.get().contest and SelfReview.objects.get().claimed == 5.5


def test_the_service_refuses_a_claimed_score_without_the_contest(users, tree):
    found = services.open_round(actor=users["gongwei"], year=YEAR)
    with pytest.raises(ServiceError, match="须同时勾选") as refused:
        services.write_self_review(
            actor=users["dangwei_a"],
            round=found,
            unit_key="甲委",
            indicator_id="ORG-01",
            text="记录漏登",
            claimed="5",
        )
    assert refused.value.field == "claimed" and not SelfReview.objects.exists()
    with pytest.raises(ServiceError, match="最多保留两位小数"):
        services.write_self_review(
            actor=users["dangwei_a"],
            round=found,
            unit_key="甲委",
            indicator_id="ORG-01",
            text="记录漏登",
            contest=True,
            claimed="5.555",
        )


def test_a_ruling_goes_back_to_the_unit_page_it_was_made_on(client, users, tree):
    stamp()
    found = opened(client, users)
    services.write_self_review(
        actor=users["dangwei_a"],
        round=found,
        unit_key="甲委",
        indicator_id="ORG-01",
        text="四月已召开",
        contest=True,
        claimed="6",
    )
    client.post(reverse("assessment:advance", args=[YEAR]), {"stage": "self"})
    review = SelfReview.objects.get()
    url = reverse("assessment:rule", args=[review.pk])
    # the round's page links the unit by its 机关党委: the ruling form there says so, and goes back there
    round_html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    unit_url = reverse("assessment:unit", args=[YEAR, tree.a.pk])
    assert f'href="{unit_url}"' in round_html
    page = section(client.get(unit_url).content.decode(), "ORG-01")
    assert f'<input type="hidden" name="org" value="{tree.a.pk}">' in page
    # not saved: the page again, with what was typed
    response = client.post(url, {"accept": "1", "adjusted": "7", "text": "记录属实", "org": tree.a.pk})
    assert response.status_code == 400
    form = section(response.content.decode(), "ORG-01")
    assert "调整后得分应在 0 到 6 分之间。" in form and 'value="记录属实"' in form and 'value="7"' in form
    response = client.post(url, {"accept": "1", "adjusted": "5.5", "text": "记录属实", "org": tree.a.pk})
    assert response.status_code == 302 and response["Location"] == f"{unit_url}#ind-ORG-01"
    assert SelfReview.objects.get().ruling == "accepted"


def test_a_ruling_made_on_the_party_groups_page_goes_back_there(client, users, tree):
    stamp()
    found = opened(client, users)
    services.write_self_review(
        actor=users["gongwei"],
        round=found,
        unit_key="甲委",
        indicator_id="ORG-01",
        text="四月已召开",
        contest=True,
        claimed="6",
    )
    client.post(reverse("assessment:advance", args=[YEAR]), {"stage": "self"})
    review = SelfReview.objects.get()
    url = reverse("assessment:rule", args=[review.pk])
    response = client.post(url, {"accept": "0", "text": "未见记录", "org": tree.a_dz.pk})
    assert response["Location"] == reverse("assessment:unit", args=[YEAR, tree.a_dz.pk]) + "#ind-ORG-01"
    # an organisation outside the unit is not where it goes: the unit's page the round's page links
    SelfReview.objects.update(ruling="")
    response = client.post(url, {"accept": "0", "text": "未见记录", "org": tree.b.pk})
    assert response["Location"] == reverse("assessment:unit", args=[YEAR, tree.a.pk]) + "#ind-ORG-01"
