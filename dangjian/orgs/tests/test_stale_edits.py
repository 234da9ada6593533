"""The 党组织 edit page's lost-update guard (core.edits): an edit from a page opened before another save is refused,
not saved over; its version is the digest of the organisation's audit snapshot."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core import edits
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Org
from dangjian.orgs.services import org_snapshot, update_org


def _version(response) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([0-9a-f]+)"', response.content.decode())
    assert found, "the edit form carries the organisation's version"
    return found.group(1)


def _data(tree, **overrides) -> dict:
    data = {
        "code": "A1",
        "name": "甲一支部",
        "type": "zhibu",
        "parent": tree.a.pk,
        "unit": "甲委",
        "founded_on": "2018-03-01",
        "term_started_on": "",
        "term_years": "",
    }
    data.update(overrides)
    return data


def test_an_edit_from_a_page_opened_before_another_save_is_refused_not_saved_over(client, users, tree):
    """The branch's administrator and the 党委 open the same organisation; the 党委 records the new term first. The
    branch's save would silently undo it: it is refused, naming who changed the organisation and when, with what
    they typed kept; submitting again (the page now holds the current version) saves their values knowingly."""
    url = reverse("orgs:edit", args=[tree.a1.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine, theirs = _version(client.get(url)), _version(other.get(url))
    assert mine == theirs
    first = _data(tree, term_started_on="2023-06-30", term_years="3", version=theirs)
    assert other.post(url, first).status_code == 302
    updates = AuditEvent.objects.filter(object_type="orgs.org", action="update", object_id=str(tree.a1.pk))
    assert updates.count() == 1
    assert Org.objects.get(pk=tree.a1.pk).term_started_on == dt.date(2023, 6, 30)

    second = _data(tree, name="甲一党支部", version=mine)
    response = client.post(url, second)
    assert response.status_code == 200
    html = response.content.decode()
    assert "您打开此页后，这条记录已由dangwei_a于" in html and "本页的修改尚未保存" in html
    assert 'value="甲一党支部"' in html  # what was typed stays on the page
    assert f'href="{reverse("orgs:detail", args=[tree.a1.pk])}" target="_blank"' in html
    a1 = Org.objects.get(pk=tree.a1.pk)
    assert (a1.name, a1.term_started_on) == ("甲一支部", dt.date(2023, 6, 30))  # nothing saved over
    assert updates.count() == 1
    current = _version(response)
    assert current != mine

    response = client.post(url, {**second, "version": current})
    assert response.status_code == 302
    a1 = Org.objects.get(pk=tree.a1.pk)
    assert (a1.name, a1.term_started_on) == ("甲一党支部", None)  # the page's values, knowingly
    assert updates.count() == 2


def test_an_unchanged_org_saves_and_a_caller_without_a_page_is_not_checked(users, tree):
    org = Org.objects.get(pk=tree.a1.pk)
    opened = edits.version(org_snapshot(org))
    update_org(actor=users["branch_a1"], org=org, data={"name": "一改"}, version=opened)
    with pytest.raises(edits.Stale):
        update_org(actor=users["branch_a1"], org=org, data={"name": "二改"}, version=opened)
    assert Org.objects.get(pk=tree.a1.pk).name == "一改"
    update_org(actor=users["branch_a1"], org=org, data={"name": "导入改"})  # no page: no version
    assert Org.objects.get(pk=tree.a1.pk).name == "导入改"


def test_the_version_is_not_among_the_organisation_s_fields(client, users, tree):
    client.force_login(users["branch_a1"])
    url = reverse("orgs:edit", args=[tree.a1.pk])
    response = client.post(url, _data(tree, name="甲一党支部", version=_version(client.get(url))))
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="orgs.org", action="update", object_id=str(tree.a1.pk))
    assert "version" not in event.after
