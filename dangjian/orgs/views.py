"""Organisation pages: the tree, an organisation's detail, its create/edit forms and its party posts.

Every read starts from `visible_to(request.user)` (outside the scope is a 404); every write goes
through one service of `dangjian.orgs.services`, whose refusals are shown on the form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core.errors import ServiceError
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orgs import selectors, services
from dangjian.orgs.forms import OrgForm, PostForm, allowed_child_types
from dangjian.orgs.models import Org, Post
from dangjian.orgs.widgets import option_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


@admin_required
@require_GET
def org_export(request):
    from dangjian.core.imports import export_workbook  # built alongside; imported when used

    qs = Org.objects.visible_to(request.user).select_related("parent").order_by("path")
    response = HttpResponse(export_workbook("orgs", qs), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "组织.xlsx")
    return response


@admin_required
@require_GET
def post_export(request):
    """Party posts of the visible organisations (or of one org's subtree with `?org=`), in the import's
    columns. The file carries full 身份证号 (re-import needs them), so the export is an audit event; a holder
    whose member record is outside the user's scope (a 党委's 书记 from one of its branches, for a grant
    without descendants) gets a masked one: the user could not re-import that row anyway."""
    from dangjian.accounts.scope import scope_for
    from dangjian.core import audit
    from dangjian.core.imports import export_workbook

    posts = (
        Post.objects.visible_to(request.user)
        .select_related("member", "org")
        .annotate(
            member_in_scope=Exists(Member.objects.visible_to(request.user).filter(pk=OuterRef("member_id")))
        )
        .order_by("org__path", "title", "-started_on")
    )
    root = None
    if request.GET.get("org"):
        root = _visible_org(request, request.GET["org"])
        posts = posts.filter(org__path__startswith=root.path)
    audit.record(
        actor=request.user,
        action="export",
        object_type="orgs.post",
        object_repr=_("党内职务导出"),
        org_path=root.path
        if root
        else min((g.path for g in scope_for(request.user).admin_grants), default="", key=len),
        note=_("导出范围：%(scope)s") % {"scope": root.name if root else _("全部可见组织")},
    )
    response = HttpResponse(export_workbook("posts", posts), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "党内职务.xlsx")
    return response


@admin_required
@require_GET
def org_detail(request, pk):
    org = _visible_org(request, pk)
    show_ended = request.GET.get("history") == "1"
    members = Paginator(selectors.subtree_members(request.user, org), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
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
            "members": members,
            "can_add_child": bool(allowed_child_types(org.type)),
            "birthdays": member_selectors.birthday_panel(request.user, org),  # 本月政治生日 (None: no panel)
        },
    )


@admin_required
def org_create(request):
    parent = _visible_org(request, request.GET["parent"]) if request.GET.get("parent", "").isdigit() else None
    form = OrgForm(request.POST or None, user=request.user, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_org(actor=request.user, data=form.service_data())
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
    if request.method == "POST" and form.is_valid():
        try:
            org = services.update_org(actor=request.user, org=org, data=form.service_data())
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


def _post_form_context(request, form: PostForm, org: Org, post: Post | None = None) -> dict:
    options = selectors.member_choices(request.user, org)
    selected = form["member"].value()
    chosen = getattr(form, "cleaned_data", {}).get("member") or (post.member if post is not None else None)
    if chosen is not None and all(m.pk != chosen.pk for m in options):
        options.insert(0, chosen)
    return {
        "nav": "orgs",
        "form": form,
        "org": org,
        "post": post,
        "member_options": options,
        "selected_member": str(selected or ""),
    }


@admin_required
def post_create(request, pk):
    org = _visible_org(request, pk)
    form = PostForm(request.POST or None, user=request.user, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.create_post(actor=request.user, data=form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已任命%(member)s为%(org)s%(title)s。")
                % {"member": post.member.name, "org": org.name, "title": post.get_title_display()},
            )
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/post_form.html", _post_form_context(request, form, org))


@admin_required
def post_edit(request, pk):
    post = get_object_or_404(Post.objects.visible_to(request.user).select_related("org", "member"), pk=pk)
    form = PostForm(request.POST or None, user=request.user, org=post.org, instance=post)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.update_post(actor=request.user, post=post, data=form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存职务记录。"))
            return redirect("orgs:detail", pk=post.org_id)
    return render(request, "orgs/post_form.html", _post_form_context(request, form, post.org, post))


@admin_required
@require_POST
def post_delete(request, pk):
    post = get_object_or_404(Post.objects.visible_to(request.user).select_related("org", "member"), pk=pk)
    try:
        services.delete_post(actor=request.user, post=post)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:post_edit", pk=post.pk)
    messages.success(request, _("已删除职务记录。"))
    return redirect("orgs:detail", pk=post.org_id)


@admin_required
@require_GET
def member_options(request, pk):
    """htmx: the `<option>`s of the post form's member picker, filtered by a name search."""
    org = _visible_org(request, pk)
    q = request.GET.get("member_q", "").strip()
    options = selectors.member_choices(request.user, org, q=q, limit=50)
    return render(
        request,
        "orgs/_member_options.html",
        {"member_options": options, "selected_member": request.GET.get("member", "")},
    )


@admin_required
@require_GET
def org_options(request):
    """htmx: the `<option>`s of a filter's organisation picker (`orgs.widgets.OrgSearchSelect`), matching the
    search box, through the user's scope."""
    field = request.GET.get("field", "org")
    q = request.GET.get(f"{field}_q", "").strip()
    selected = request.GET.get(field, "")
    options = option_rows(Org.objects.visible_to(request.user), q=q, selected=selected)
    values = [value for value, _label in options]
    if selected not in values:  # a search shows its first match chosen
        selected = values[0] if q and values else ""
    return render(
        request, "orgs/_org_options.html", {"options": options, "selected": selected, "searched": bool(q)}
    )
