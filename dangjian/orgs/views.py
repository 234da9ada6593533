"""Organisation pages: the tree, an organisation's detail, its create/edit forms.

Every read starts from `visible_to(request.user)` (outside the scope is a 404); every write goes
through one service of `dangjian.orgs.services`, whose refusals are shown on the form. The pages of party
posts (they pick a member) are the members app's (`dangjian.members.views`, same /orgs/ paths); the member
parts of these pages are registered with `dangjian.orgs.panels`."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import edits, once, xlsx
from dangjian.core.downloads import export_response, personal_data
from dangjian.core.errors import ServiceError
from dangjian.core.formfields import as_id
from dangjian.orgs import panels, selectors, services
from dangjian.orgs.forms import OrgForm, allowed_child_types
from dangjian.orgs.models import Org
from dangjian.orgs.widgets import KINDS, UNSCOPED_KINDS, before_search, of_kind, option_rows
from dangjian.orgs.xlsx import OrgImporter


def _visible_org(request, pk) -> Org:
    return get_object_or_404(Org.objects.visible_to(request.user), pk=pk)


@admin_required
@require_GET
def org_tree(request):
    q = request.GET.get("q", "").strip()
    show_dissolved = request.GET.get("dissolved") == "1"
    nodes, n_visible = selectors.org_tree(request.user, show_dissolved=show_dissolved, q=q)
    return render(
        request,
        "orgs/tree.html",
        {"nav": "orgs", "nodes": nodes, "n_visible": n_visible, "q": q, "show_dissolved": show_dissolved},
    )


@admin_required
@require_GET
def org_subtree(request, pk):
    """htmx: the nested list below one organisation of a large tree, fetched when it is opened."""
    org = _visible_org(request, pk)
    show_dissolved = request.GET.get("dissolved") == "1"
    nodes, _ = selectors.org_tree(request.user, show_dissolved=show_dissolved, root=org)
    return render(request, "orgs/_tree_nodes.html", {"nodes": nodes, "show_dissolved": show_dissolved})


@personal_data
@admin_required
@require_GET
def org_export(request):
    """The visible organisations, in the import's columns."""
    qs = Org.objects.visible_to(request.user).select_related("parent").order_by("path")
    importer = OrgImporter()
    rows = list(importer.export_rows(qs))
    return export_response(
        xlsx.write_workbook(importer.columns, rows, title=importer.title),
        "组织.xlsx",
        actor=request.user,
        what=_("组织"),
        object_type="orgs.org",
        org_path=scope_for(request.user).top_path,
        scope=_("全部可见组织"),
        rows=len(rows),
    )


@admin_required
@require_GET
def org_detail(request, pk):
    org = _visible_org(request, pk)
    show_ended = request.GET.get("history") == "1"
    return render(
        request,
        "orgs/detail.html",
        {
            "nav": "orgs",
            "org": org,
            "crumbs": selectors.breadcrumb(request.user, org),
            "children": selectors.children_with_counts(request.user, org),
            "posts": selectors.org_posts(request.user, org, include_ended=show_ended),
            "show_ended": show_ended,
            "can_add_child": bool(allowed_child_types(org.type)),
            "panels": panels.detail_panels(request, org),  # the member list, 本月政治生日 (members app)
        },
    )


@admin_required
@once.guarded
def org_create(request):
    parent_id = as_id(request.GET.get("parent"))
    parent = _visible_org(request, parent_id) if parent_id is not None else None
    form = OrgForm(request.POST or None, user=request.user, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            with once.guard(request) as claim:  # a second POST of the same form creates nothing
                org = services.create_org(actor=request.user, data=form.service_data())
                claim.created(reverse("orgs:detail", args=[org.pk]))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已新增组织“%(name)s”。") % {"name": org.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/org_form.html", {"nav": "orgs", "form": form, "parent": parent})


@admin_required
def org_edit(request, pk):
    org = _visible_org(request, pk)
    form = OrgForm(request.POST or None, user=request.user, instance=org)
    if request.method != "POST":
        form.initial[edits.FIELD] = edits.version(services.org_snapshot(org))
    if request.method == "POST" and form.is_valid():
        try:
            org = services.update_org(
                actor=request.user,
                org=org,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存组织“%(name)s”。") % {"name": org.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/org_form.html", {"nav": "orgs", "form": form, "org": org})


@admin_required
@require_POST
def org_delete(request, pk):
    org = _visible_org(request, pk)
    parent_id = org.parent_id
    try:
        services.delete_org(actor=request.user, org=org)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:edit", pk=org.pk)
    messages.success(request, _("已删除组织“%(name)s”。") % {"name": org.name})
    if parent_id and Org.objects.visible_to(request.user).filter(pk=parent_id).exists():
        return redirect("orgs:detail", pk=parent_id)
    return redirect("orgs:tree")


@admin_required
@require_GET
def org_options(request):
    """htmx: the `<option>`s of a filter's organisation picker (`orgs.widgets.OrgSearchSelect`), matching the
    search box, through the user's scope."""
    field = request.GET.get("field", "org")
    kind = request.GET.get("kind", "")
    if kind and kind not in KINDS:
        raise Http404
    q = request.GET.get(f"{field}_q", "").strip()
    selected = request.GET.get(field, "")
    required = request.GET.get("required") == "1"
    # a transfer's receiving organisation may be anywhere in the system (its names are offered, never codes)
    orgs = of_kind(
        Org.objects.all() if kind in UNSCOPED_KINDS else Org.objects.visible_to(request.user), kind
    )
    options = option_rows(
        orgs,
        q=q,
        selected=selected,
        limit=before_search(kind, required),
        by_code=kind not in UNSCOPED_KINDS,
    )
    values = [value for value, _label in options]
    if selected not in values:  # a search shows its first match chosen
        selected = values[0] if q and values else ""
    return render(
        request,
        "orgs/_org_options.html",
        {
            "options": options,
            "selected": selected,
            "searched": bool(q),
            "kind": kind,
            "required": required,
        },
    )
