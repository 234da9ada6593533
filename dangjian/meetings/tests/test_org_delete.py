"""An organisation that records of other apps hold (a meeting, say) cannot be deleted: the service refuses by
name and changes nothing, and the page says so instead of failing."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.meetings.models import Meeting
from dangjian.orgs.models import Org
from dangjian.orgs.services import delete_org


@pytest.fixture
def held(tree):
    return Meeting.objects.create(org=tree.a1g1, date=dt.date(2026, 3, 5), topic="党小组会")


def test_the_service_names_the_records_and_changes_nothing(tree, held):
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="该组织已有组织生活记录等记录，不能删除"):
        delete_org(actor=None, org=tree.a1g1)
    assert Org.objects.filter(pk=tree.a1g1.pk).exists()
    assert AuditEvent.objects.count() == events  # the delete's audit event was rolled back with it


def test_the_page_shows_the_refusal(client, tree, users, held):
    client.force_login(users["dangwei_a"])
    response = client.post(reverse("orgs:delete", args=[tree.a1g1.pk]), follow=True)
    assert response.status_code == 200
    assert "该组织已有组织生活记录等记录，不能删除" in response.content.decode()
    assert Org.objects.filter(pk=tree.a1g1.pk).exists()


def test_an_organisation_nothing_holds_is_deleted(tree):
    delete_org(actor=None, org=tree.a1g1)
    assert not Org.objects.filter(pk=tree.a1g1.pk).exists()
