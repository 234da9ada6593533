"""The organisation picker of a large scope: a filter over more than ORG_PICKER_ABOVE organisations lists the
top of the scope and the chosen one, searches the rest through the user's scope, and checks a value with
one query."""

import pytest
from django.urls import reverse

from dangjian.meetings.forms import MeetingFilterForm
from dangjian.members.forms import MemberFilterForm
from dangjian.orgs.models import Org
from dangjian.orgs.widgets import OrgSearchSelect


@pytest.fixture
def small_threshold(settings):
    settings.ORG_PICKER_ABOVE = 3  # the test tree has 9 organisations
    return settings


def test_a_small_scope_keeps_the_full_select(users, tree):
    form = MeetingFilterForm({}, orgs=Org.objects.visible_to(users["dangwei_a"]).order_by("path"))
    assert not isinstance(form.fields["org"].widget, OrgSearchSelect)
    html = str(form["org"])
    assert all(name in html for name in ("甲委机关党委", "甲一支部", "甲一第一党小组", "甲二支部"))


def test_a_large_scope_lists_the_top_and_the_chosen_one(users, tree, small_threshold):
    orgs = Org.objects.visible_to(users["gongwei"]).order_by("path")
    form = MeetingFilterForm({"org": str(tree.a1g1.pk)}, orgs=orgs)
    assert isinstance(form.fields["org"].widget, OrgSearchSelect)
    assert form.filters()["org"] == tree.a1g1
    html = str(form["org"])
    assert 'data-testid="org-search"' in html and reverse("orgs:options") in html
    # the 工委 and the level below it, and the chosen 党小组 (selected); not the other branches
    for name in ("市级机关工作党委", "甲委党组", "甲委机关党委", "乙委机关党委"):
        assert name in html
    assert f'<option value="{tree.a1g1.pk}" selected>甲一第一党小组（甲委）</option>' in html
    assert "甲二支部" not in html and "乙一支部" not in html


def test_a_large_scope_refuses_an_organisation_outside_it(users, tree, small_threshold):
    orgs = Org.objects.visible_to(users["dangwei_a"]).order_by("path")
    small_threshold.ORG_PICKER_ABOVE = 2  # 党委甲's 4 organisations
    form = MemberFilterForm({"org": str(tree.b1.pk)}, orgs=orgs)
    assert isinstance(form.fields["org"].widget, OrgSearchSelect)
    assert not form.is_valid() and "org" in form.errors
    form = MemberFilterForm({"org": "abc"}, orgs=orgs)
    assert not form.is_valid()
    form = MemberFilterForm({"org": str(tree.a2.pk)}, orgs=orgs)
    assert form.is_valid() and form.cleaned_data["org"] == tree.a2


def test_a_value_is_checked_with_one_query(users, tree, small_threshold, django_assert_num_queries):
    orgs = Org.objects.visible_to(users["gongwei"]).order_by("path")
    form = MeetingFilterForm({"org": str(tree.b1.pk)}, orgs=orgs)  # one query: the first 4 organisations
    with django_assert_num_queries(1):
        assert form.is_valid()


def test_the_search_answers_through_the_scope(client, users, tree):
    url = reverse("orgs:options")
    client.force_login(users["dangwei_a"])
    body = client.get(url, {"field": "org", "org_q": "支部"}).content.decode()
    assert "甲一支部" in body and "甲二支部" in body
    assert "乙一支部" not in body  # another 党委's branch
    assert f'<option value="{tree.a1.pk}" selected>' in body  # the first match is chosen
    body = client.get(url, {"field": "org", "org_q": "B1"}).content.decode()
    assert "乙一支部" not in body and "没有找到组织" in body
    # by 组织编码 and by 单位, and the chosen one kept without a search
    client.force_login(users["gongwei"])
    assert "乙一支部" in client.get(url, {"field": "org", "org_q": "b1"}).content.decode()
    assert "乙总支" in client.get(url, {"field": "org", "org_q": "乙委"}).content.decode()
    body = client.get(url, {"field": "org", "org": str(tree.b1.pk)}).content.decode()
    assert f'<option value="{tree.b1.pk}" selected>乙一支部（乙委）</option>' in body
    assert "甲二支部" not in body  # without a search: the top two levels and the chosen one


def test_the_meetings_list_of_a_large_scope_renders_the_picker(client, users, tree, small_threshold):
    client.force_login(users["gongwei"])
    body = client.get(reverse("meetings:list")).content.decode()
    assert 'data-testid="org-search"' in body and "甲二支部" not in body
    filtered = client.get(reverse("meetings:list"), {"org": tree.a2.pk})
    assert filtered.status_code == 200 and filtered.context["form"].filters()["org"] == tree.a2


# --- a picker of 党支部 only (the 发展党员 page of a large scope) --------------------------------------------


def test_the_branch_picker_searches_active_branches_only(client, users, tree):
    client.force_login(users["gongwei"])
    url = reverse("orgs:options")
    found = client.get(url, {"field": "org", "kind": "branch", "org_q": "甲"}).content.decode()
    assert "甲一支部" in found and "甲二支部" in found
    assert "甲委机关党委" not in found and "甲一第一党小组" not in found  # not a 党支部
    assert "请选择党支部" in found
    nothing = client.get(url, {"field": "org", "kind": "branch", "org_q": "机关党委"}).content.decode()
    assert "没有找到党支部" in nothing and '<option value=""' in nothing and nothing.count("<option") == 1
    assert client.get(url, {"field": "org", "kind": "other"}).status_code == 404


def test_the_branch_picker_offers_at_most_its_limit_before_a_search(users, tree, monkeypatch):
    from dangjian.orgs import widgets

    monkeypatch.setattr(widgets, "KIND_LIMIT", 2)
    orgs = widgets.of_kind(Org.objects.visible_to(users["gongwei"]), "branch")
    html = OrgSearchSelect(orgs, "请选择党支部", kind="branch").render("org", "")
    assert html.count("<option") == 3  # the empty choice and two branches
    assert '"kind": "branch"' in html


def test_the_development_page_of_a_large_scope_has_a_search_not_every_branch(
    client, users, tree, small_threshold
):
    small_threshold.ORG_PICKER_ABOVE = 2  # the test tree has 3 branches
    client.force_login(users["gongwei"])
    page = client.get(reverse("pipeline:index")).content.decode()
    assert 'data-testid="org-search"' in page and '"kind": "branch"' in page
    chosen = client.get(reverse("pipeline:index"), {"org": tree.b1.pk})
    assert chosen.status_code == 200 and f'<option value="{tree.b1.pk}" selected>' in chosen.content.decode()
    assert client.get(reverse("pipeline:index"), {"org": tree.a.pk}).status_code == 404  # not a branch
    assert client.get(reverse("pipeline:index"), {"org": "x"}).status_code == 404
    client.force_login(users["branch_a1"])  # one branch: no picker at all
    assert 'id="dj-org"' not in client.get(reverse("pipeline:index")).content.decode()


def test_a_search_suggests_at_most_its_limit(client, users, tree, monkeypatch):
    from dangjian.orgs import widgets

    client.force_login(users["gongwei"])
    url = reverse("orgs:options")
    assert (
        client.get(url, {"field": "org", "org_q": "支部"}).content.decode().count("<option") == 4
    )  # + empty
    monkeypatch.setattr(widgets, "SEARCH_LIMIT", 2)
    assert client.get(url, {"field": "org", "org_q": "支部"}).content.decode().count("<option") == 3


def test_no_picker_offers_more_than_100_options_or_20_suggestions():
    """Issue contract: a picker's select (its empty choice and the chosen organisation included) stays within
    100 options, a search within 20 suggestions."""
    from dangjian.orgs import widgets

    assert widgets.SEARCH_LIMIT <= 20
    assert max(widgets.TOP_LIMIT, widgets.KIND_LIMIT) + 2 <= 100
