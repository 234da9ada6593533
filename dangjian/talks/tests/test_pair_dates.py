"""新老结对 is recorded once it has begun: a start date after today is refused (and not offered by the form)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.talks import services
from dangjian.talks.models import Pair


def test_a_pair_starting_after_today_is_refused_and_changes_nothing(a1, users, today):
    events = AuditEvent.objects.count()
    kw = {"actor": users["branch_a1"], "org": a1.org, "mentor": a1.shuji, "mentee": a1.m1, "goal": "传帮带"}
    with pytest.raises(ServiceError) as refused:
        services.create_pair(**kw, started_on=today + dt.timedelta(days=1))
    assert refused.value.field == "started_on"
    assert refused.value.message == "结对开始日期不能晚于今天：请在结对开始后登记。"
    assert not Pair.objects.exists() and AuditEvent.objects.count() == events
    assert services.create_pair(**kw, started_on=today).started_on == today
    # an end date ahead is the pairing's planned last day: still accepted
    pair = services.create_pair(
        **{**kw, "mentee": a1.m2}, started_on=today, ended_on=today + dt.timedelta(days=180)
    )
    assert pair.ended_on == today + dt.timedelta(days=180)


def test_the_pair_form_offers_no_later_start_and_shows_the_refusal(client, a1, users, today):
    client.force_login(users["branch_a1"])
    url = reverse("talks:pair_new") + f"?org={a1.org.pk}"
    html = client.get(url).content.decode()
    started = re.search(r'<input[^>]* name="started_on"[^>]*>', html).group(0)
    assert f'max="{today:%Y-%m-%d}"' in started
    response = client.post(
        url,
        {
            "org": a1.org.pk,
            "mentor": a1.shuji.pk,
            "mentee": a1.m1.pk,
            "started_on": (today + dt.timedelta(days=1)).isoformat(),
            "ended_on": "",
            "goal": "熟悉业务",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["started_on"] == ["结对开始日期不能晚于今天：请在结对开始后登记。"]
    assert not Pair.objects.exists()
