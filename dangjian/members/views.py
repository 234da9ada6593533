"""Member pages: list (with Excel export), detail with history and the personal-data reveal, create,
edit, delete; the member's timeline; 政治生日 (the month's list and the greeting card PDF); the pages of
party posts (appoint, edit, delete, the member picker, the posts export) under /orgs/. Views parse
input, call one service and render; reads start from the user's scope."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import audit, edits, exports, once, xlsx
from dangjian.core.downloads import Counted, export_response, personal_data
from dangjian.core.errors import ServiceError
from dangjian.members import selectors
from dangjian.members.choices import MemberStatus
from dangjian.members.exports import filtered
from dangjian.members.forms import ETHNICITIES, BirthdayFilterForm, MemberForm, PostForm
from dangjian.members.models import Member
from dangjian.members.services import create_member, delete_member, member_version_fields, update_member
from dangjian.members.timeline import TIMELINE_GROUPS, timeline
from dangjian.members.xlsx import PostImporter
from dangjian.orgs import services as org_services
from dangjian.orgs.choices import MEMBER_ORG_TYPES
from dangjian.orgs.models import Org, Post
from dangjian.orgs.selectors import visible_org, wide_scope
from dangjian.orgs.widgets import SEARCH_LIMIT, TOP_LIMIT


def _filtered(request):
    """The filter form over the user's visible organisations and the matching member queryset."""
    return filtered(request.user, request.GET)


@personal_data
@admin_required
def member_list(request):
    form, qs = _filtered(request)
    filters = form.filters()
    counts = selectors.list_counts(qs)
    paginator = Paginator(qs, settings.PAGE_SIZE)
    paginator.count = counts["total"]  # the aggregate already counted the set: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    org = filters.get("org")
    everyone = None  # nothing on the roll matches: the same search over every 党籍状态 (转出, 死亡 …)
    if not counts["total"] and filters.get("status") == MemberStatus.NORMAL:
        query = request.GET.copy()
        query["status"] = "all"
        query.pop("page", None)
        everyone = "?" + query.urlencode()
    return render(
        request,
        "members/list.html",
        {
            "nav": "members",
            "form": form,
            "page": page,
            "counts": counts,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filtered": bool(filters),
            "everyone": everyone,
            "create_org_pk": org.pk if org is not None and org.type in MEMBER_ORG_TYPES else None,
        },
    )


@personal_data
@admin_required
def member_export(request):
    """The member list's filter, in the import's columns (members.exports); a large roll's is made by the task
    worker while a page shows its progress (core.exports). A filter that does not hold (an organisation outside the
    scope: 404; another value the list does not offer: 400) exports nothing, rather than the whole roll unfiltered."""
    form, _members = filtered(request.user, request.GET)
    if form.is_bound and not form.is_valid():
        if "org" in form.errors:
            raise Http404
        raise BadRequest("invalid member filter")
    return exports.respond(request, "members")


LATEST_EVENTS = 6  # the member page shows the latest few; the timeline page shows them all


def _detail_context(request, member: Member, *, revealed: bool) -> dict:
    scope = scope_for(request.user)
    own = scope.member_id == member.pk
    can_edit = scope.covers(member.org)
    posts = selectors.member_posts(member)
    for post in posts:
        post.linkable = scope.covers(post.org)
    return {
        "nav": "members",
        "member": member,
        "own": own,
        "revealed": revealed or own,
        "can_reveal": scope.can_see_personal_data(member) and not own,
        "can_edit": can_edit,
        "org_linkable": can_edit,
        "posts": posts,
        "history": selectors.member_history(member),
        "latest_events": list(reversed(timeline(member)[-LATEST_EVENTS:])),
    }


@personal_data
@login_required
def member_detail(request, pk: int):
    member = selectors.visible_member(request.user, pk)
    return render(request, "members/detail.html", _detail_context(request, member, revealed=False))


@personal_data
@login_required
@require_POST
def member_reveal(request, pk: int):
    """Shows the full 身份证号 and 手机号码 to a user allowed to see them, and records that they did."""
    member = selectors.visible_member(request.user, pk)
    scope = scope_for(request.user)
    if not scope.can_see_personal_data(member):
        raise PermissionDenied(_("您无权查看该党员的完整个人信息。"))
    if scope.member_id != member.pk:
        audit.record(actor=request.user, action="view_personal", obj=member, org_path=member.org.path)
    if request.headers.get("HX-Request") == "true":
        return render(request, "members/_personal.html", {"member": member, "revealed": True})
    return render(request, "members/detail.html", _detail_context(request, member, revealed=True))


def _form_page(request, form, member: Member | None):
    form.mark_invalid()
    return render(
        request,
        "members/form.html",
        {"nav": "members", "form": form, "member": member, "ethnicities": ETHNICITIES},
    )


@personal_data
@sensitive_post_parameters("id_number", "phone")
@admin_required
@once.guarded
def member_create(request):
    orgs = selectors.member_org_options(request.user)
    if request.method == "POST":
        form = MemberForm(request.POST, orgs=orgs)
        if form.is_valid():
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    member = create_member(actor=request.user, data=form.service_data())
                    claim.created(reverse("members:detail", args=[member.pk]))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已新增党员“%(name)s”。") % {"name": member.name})
                return redirect("members:detail", pk=member.pk)
    else:
        initial = {}
        wanted = request.GET.get("org", "")
        if wanted.isascii() and wanted.isdigit() and orgs.filter(pk=int(wanted)).exists():
            initial["org"] = wanted
        form = MemberForm(initial=initial, orgs=orgs)
    return _form_page(request, form, None)


def _editable_member(request, pk: int) -> Member:
    member = selectors.visible_member(request.user, pk)
    if not scope_for(request.user).covers(member.org):
        raise PermissionDenied(_("该党员不在您的管理范围内。"))
    return member


@personal_data
@sensitive_post_parameters("id_number", "phone")
@admin_required
def member_edit(request, pk: int):
    member = _editable_member(request, pk)
    full_access = scope_for(request.user).can_see_personal_data(member)
    masked = None if full_access else {"id_number": member.id_number_masked, "phone": member.phone_masked}
    orgs = selectors.member_org_options(request.user, include=member.org)
    if request.method == "POST":
        form = MemberForm(request.POST, orgs=orgs, editing=True, masked=masked)
        if form.is_valid():
            try:
                update_member(
                    actor=request.user,
                    member=member,
                    data=form.service_data(),
                    effective_on=form.cleaned_data.get("effective_on"),
                    version=form.cleaned_data.get("version"),
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("已保存党员“%(name)s”的信息。") % {"name": form.cleaned_data["name"]}
                )
                return redirect("members:detail", pk=member.pk)
    else:
        initial = {name: getattr(member, name) for name in MemberForm.SERVICE_FIELDS}
        initial["org"] = str(member.org_id)
        initial[edits.FIELD] = edits.version(member_version_fields(member))
        if full_access:
            audit.record(
                actor=request.user,
                action="view_personal",
                obj=member,
                org_path=member.org.path,
                note=_("编辑表单"),
            )
        else:
            initial.pop("id_number")
            initial.pop("phone")
        form = MemberForm(initial=initial, orgs=orgs, editing=True, masked=masked)
    return _form_page(request, form, member)


@admin_required
@require_POST
def member_delete(request, pk: int):
    member = _editable_member(request, pk)
    name = member.name
    try:
        delete_member(actor=request.user, member=member)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("members:detail", pk=member.pk)
    messages.success(request, _("已删除党员“%(name)s”。") % {"name": name})
    return redirect("members:list")


@personal_data
@login_required
def member_timeline(request, pk: int):
    """The member's whole timeline, oldest first, grouped by year, filterable by group (`?group=`)."""
    member = selectors.visible_member(request.user, pk)
    group = request.GET.get("group", "")
    if group not in TIMELINE_GROUPS:
        group = ""
    events = timeline(member)
    counts = {key: 0 for key in TIMELINE_GROUPS}
    for event in events:
        if event.group in counts:
            counts[event.group] += 1
    shown = [e for e in events if not group or e.group == group]
    years: dict[int, list] = {}
    for event in shown:
        years.setdefault(event.date.year, []).append(event)
    return render(
        request,
        "members/timeline.html",
        {
            "nav": "members",
            "member": member,
            "group": group,
            "groups": [(key, label, counts[key]) for key, label in TIMELINE_GROUPS.items()],
            "total": len(events),
            "years": sorted(years.items()),
            "shown": len(shown),
            "links": scope_for(request.user).is_admin,
        },
    )


def _this_month() -> dt.date:
    return dt.date.today().replace(day=1)


@admin_required
def birthday_list(request):
    """政治生日 of a month (default this month) per branch, for the organisations the user administers."""
    form = BirthdayFilterForm(request.GET or None, orgs=selectors.filter_org_options(request.user))
    filters = form.filters()
    month = filters.get("month") or _this_month()
    wide = wide_scope(request.user, filters.get("org"), request.GET)
    found = []
    if wide is None:
        members = Member.objects.visible_to(request.user)
        if filters.get("org") is not None:
            members = members.in_subtree(filters["org"])
        found = selectors.birthdays(members, month)
    return render(
        request,
        "members/birthdays.html",
        {
            "nav": "members",
            "form": form,
            "month": month,
            "month_param": f"{month:%Y-%m}",
            "previous": f"{(month - dt.timedelta(days=1)):%Y-%m}",
            "next": f"{(selectors.month_end(month) + dt.timedelta(days=1)):%Y-%m}",
            "wide": wide,
            "branches": selectors.birthdays_by_branch(found),
            "total": len(found),
        },
    )


@personal_data
@login_required
def birthday_card(request, pk: int):
    """The greeting card (PDF) of a member's 政治生日 in `?month=YYYY-MM` (default this month); 404 when the
    member has no 政治生日 that month."""
    from dangjian.members.cards import birthday_card_pdf

    member = selectors.visible_member(request.user, pk)
    month = _this_month()
    if request.GET.get("month"):
        try:
            month = dt.datetime.strptime(request.GET["month"], "%Y-%m").date()
        except ValueError:
            raise Http404(_("月份无效，应为 YYYY-MM。")) from None
    found = selectors.birthday_of(member, month)
    if found is None:
        raise Http404(_("该党员本月没有政治生日。"))
    response = HttpResponse(birthday_card_pdf(found), content_type="application/pdf")
    filename = f"{_('政治生日贺卡')}-{member.name}-{month:%Y-%m}.pdf"
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    return response


# --- party posts -------------------------------------------------------------------------------------
# A member holds a post in an organisation: the Post model and its services are the organisation's
# (`dangjian.orgs`), the pages that pick a member are here. They keep their /orgs/ paths and URL names
# (`orgs:post_create`, …): `dangjian/urls.py` routes `post_urlpatterns` (members/urls.py) under the orgs
# namespace.


def _visible_org(request, pk) -> Org:
    return get_object_or_404(Org.objects.visible_to(request.user), pk=pk)


@personal_data
@admin_required
@require_GET
def post_export(request):
    """Party posts of the visible organisations (or of one org's subtree with `?org=`), in the import's
    columns. A holder's 身份证号 is in full only where the user would see it in full on the holder's detail
    page (re-import needs it); elsewhere — a 党委's 书记 from a branch outside the user's grant, a role
    outside `PII_FULL_ACCESS_ROLES` — it is masked: the user could not re-import that row anyway."""
    posts = Post.objects.visible_to(request.user).order_by("org__path", "title", "-started_on")
    root = None
    if request.GET.get("org"):
        root = visible_org(request.user, request.GET["org"])
        if root is None:
            raise Http404
        posts = posts.filter(org__path__startswith=root.path)
    scope = scope_for(request.user)
    importer = PostImporter()
    rows = Counted(importer.export_rows(posts, full_personal=scope.sees_personal_data_of))
    content = xlsx.write_workbook(importer.columns, rows, title=importer.title)
    return export_response(
        content,
        "党内职务.xlsx",
        actor=request.user,
        what=_("党内职务"),
        object_type="orgs.post",
        org_path=root.path if root else scope.top_path,
        scope=root.name if root else _("全部可见组织"),
        rows=rows.n,
    )


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
@once.guarded
def post_create(request, pk):
    org = _visible_org(request, pk)
    form = PostForm(request.POST or None, user=request.user, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            with once.guard(request) as claim:  # a second POST of the same form creates nothing
                post = org_services.create_post(actor=request.user, data=form.service_data())
                claim.created(reverse("orgs:detail", args=[org.pk]))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已任命%(member)s为%(org)s%(title)s。")
                % {"member": post.member.name, "org": org.name, "title": post.get_title_display()},
            )
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "members/post_form.html", _post_form_context(request, form, org))


@admin_required
def post_edit(request, pk):
    post = get_object_or_404(Post.objects.visible_to(request.user).select_related("org", "member"), pk=pk)
    form = PostForm(request.POST or None, user=request.user, org=post.org, instance=post)
    if request.method != "POST":
        form.initial[edits.FIELD] = edits.version(org_services.post_snapshot(post))
    if request.method == "POST" and form.is_valid():
        try:
            post = org_services.update_post(
                actor=request.user,
                post=post,
                data=form.service_data(),
                version=form.cleaned_data.get(edits.FIELD),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存职务记录。"))
            return redirect("orgs:detail", pk=post.org_id)
    return render(request, "members/post_form.html", _post_form_context(request, form, post.org, post))


@admin_required
@require_POST
def post_delete(request, pk):
    post = get_object_or_404(Post.objects.visible_to(request.user).select_related("org", "member"), pk=pk)
    try:
        org_services.delete_post(actor=request.user, post=post)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:post_edit", pk=post.pk)
    messages.success(request, _("已删除职务记录。"))
    return redirect("orgs:detail", pk=post.org_id)


@admin_required
@require_GET
def member_options(request, pk):
    """htmx: the `<option>`s of a member picker, filtered by a name search (at most 20 suggestions, each member's
    name and organisation): the post form's (any visible member), or with `within=1` a form's picker over the
    members of the organisation's subtree (`members.widgets.MemberSearchSelect`, its input `<field>_q`)."""
    org = _visible_org(request, pk)
    field = request.GET.get("field", "member")
    q = request.GET.get(f"{field}_q", "").strip()
    within = request.GET.get("within") == "1"
    options = selectors.member_choices(
        request.user, org, q=q, limit=SEARCH_LIMIT if q else TOP_LIMIT, within=within
    )
    selected = request.GET.get(field, "")
    if within and q and options and selected not in {str(m.pk) for m in options}:
        selected = str(options[0].pk)  # a form's picker shows its search's first match chosen
    return render(
        request,
        "members/_member_options.html",
        {"member_options": options, "selected_member": selected},
    )
