"""The pages of the system roles (三员分立): accounts and requests (系统管理员), approvals and the security
parameters (安全管理员). Each page admits one system role; every write calls one service of `accounts.sysroles`."""

from __future__ import annotations

import datetime as dt
import re
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts import sysroles
from dangjian.accounts.choices import RequestStatus, Role, SystemRole, SystemRoleStatus
from dangjian.accounts.models import RoleAssignment, RoleRequest, SystemRoleGrant, User
from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import apply_service_error
from dangjian.core import once
from dangjian.core.downloads import personal_data
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.widgets import FastSelect


def system_role_required(*roles: str):
    """Signed in and holding one of `roles`; otherwise 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if scope_for(request.user).system_role not in roles:
                labels = "、".join(str(SystemRole(r).label) for r in roles)
                raise PermissionDenied(_("此页面仅供%(roles)s使用。") % {"roles": labels})
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


system_admin_required = system_role_required(sysroles.SYSTEM_ADMIN)
security_admin_required = system_role_required(sysroles.SECURITY_ADMIN)


def _org_model():
    return RoleAssignment._meta.get_field("org").related_model  # accounts names no organisation app


def _select(field: forms.Field) -> forms.Field:
    field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
    return field


class AccountForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    display_name = forms.CharField(label=gettext_lazy("姓名"), max_length=150, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _select(field)


# --- the organisation of a party role grant: chosen by name ----------------------------------------------------
#
# A 系统管理员 sees no party record (accounts.scope gives a system role an empty party scope, and the organisation
# pages refuse it), yet grants party roles over organisations. Its picker searches every active organisation by
# name, 单位 or 组织编码 and offers their names and codes only (never a member, never a count), at most
# ORG_SUGGESTIONS at a time.

ORG_SUGGESTIONS = 20  # a search's suggestions (and the options before one): type more to narrow them


def _org_label(name: str, code: str) -> str:
    return f"{name}（{code}）"


def _active_orgs():
    today = dt.date.today()  # as orgs' `active()`: the 撤销日期 is an organisation's last day
    return _org_model().objects.filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=today))


def org_suggestions(q: str = "", selected: str = "") -> list[tuple[str, str]]:
    """(pk, "name（code）") of the active organisations whose name or 单位 holds `q` or whose code starts with it,
    at most ORG_SUGGESTIONS, highest levels first; without `q` the top two levels of the tree, and the selected
    organisation first when it is not among them. One or two queries."""
    fields = ("pk", "name", "code")
    orgs = _active_orgs()
    q = q.strip()
    if q:
        found = Q(name__icontains=q) | Q(unit__icontains=q) | Q(code__istartswith=q)
        rows = list(orgs.filter(found).order_by("depth", "path").values_list(*fields)[:ORG_SUGGESTIONS])
    else:
        rows = list(orgs.filter(depth__lte=2).order_by("path").values_list(*fields)[:ORG_SUGGESTIONS])
    options = [(str(pk), _org_label(name, code)) for pk, name, code in rows]
    if not q and selected and selected not in {value for value, _label in options}:
        chosen = _org_by_pk(selected)
        if chosen is not None:
            options.insert(0, (str(chosen.pk), _org_label(chosen.name, chosen.code)))
    return options


def _org_by_pk(value: str):
    value = str(value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return _org_model().objects.filter(pk=int(value)).first()


class OrgPicker(forms.Select):
    """The organisation of a grant: a search box (sent as `<name>_q`) and a native select of at most
    ORG_SUGGESTIONS + 1 options. Typing in the box replaces the select's options with the organisations matching
    it, the first one chosen (htmx, `system:org_options`; Enter there searches rather than sends the form:
    static/js/org-search.js). Without script the text typed is sent with the form, which accepts an
    organisation's 组织编码 or a name only one organisation has (`PartyGrantForm`)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value in (None, "") else str(value)
        self.choices = [("", _("请选择组织")), *org_suggestions(selected=selected)]
        select = FastSelect(attrs=self.attrs, choices=self.choices).render(name, selected, attrs, renderer)
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        search = format_html(
            '<input type="search" class="form-control mb-1" name="{}" id="{}" maxlength="100"'
            ' autocomplete="off" placeholder="{}" aria-label="{}" aria-controls="{}"'
            ' data-testid="org-search" data-org-search hx-get="{}" hx-trigger="input changed delay:300ms, search"'
            ' hx-target="#{}" hx-include="#{}">',
            f"{name}_q",
            f"{select_id}_q",
            _("输入组织名称、单位或编码查找"),
            _("查找组织"),
            select_id,
            reverse("system:org_options"),
            select_id,
            select_id,
        )
        return format_html('<div class="dj-orgpick">{}{}</div>', search, select)


class OrgField(forms.CharField):
    """Required, but an empty choice is resolved by `PartyGrantForm.clean_org` from the search box's text."""

    def validate(self, value):
        pass


class PartyGrantForm(forms.Form):
    use_required_attribute = False  # an empty select with a name typed in the search box is sent (no script)

    role = forms.ChoiceField(label=gettext_lazy("党组织角色"), choices=Role.choices)
    org = OrgField(label=gettext_lazy("组织"), widget=OrgPicker())
    include_descendants = forms.BooleanField(label=gettext_lazy("含下级组织"), required=False, initial=True)
    reason = forms.CharField(label=gettext_lazy("申请事由"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("role", "org", "reason"):
            _select(self.fields[name])
        self.fields["include_descendants"].widget.attrs["class"] = "form-check-input"

    def clean_org(self):
        """The organisation chosen in the select; else the one the search box's text names: its 组织编码, or a
        name (the select's "name（code）" too) that only one active organisation has. Several organisations of that
        name are listed with their codes (at most ORG_SUGGESTIONS) to choose from."""
        chosen = self.cleaned_data.get("org", "")
        typed = str(self.data.get("org_q", "")).strip()[:100]
        if chosen:
            org = _org_by_pk(chosen)
            if org is None:
                raise forms.ValidationError(_("所选组织不存在，请重新选择。"))
            return org
        if not typed:
            raise forms.ValidationError(
                _("请选择组织：在搜索框中输入组织名称、单位或编码，再从下拉列表中选择。")
            )
        return _org_named(typed)


LABEL_CODE = re.compile(r"（([^（）]+)）$")  # the code at the end of an option's label: "甲一支部（A1）"


def _org_named(typed: str):
    orgs = _org_model().objects.all()
    found = orgs.filter(code=typed).first()
    if found is None:
        in_label = LABEL_CODE.search(typed)
        if in_label:
            found = orgs.filter(
                code=in_label.group(1).strip(), name=typed[: in_label.start()].strip()
            ).first()
    if found is not None:
        return found
    named = list(_active_orgs().filter(name=typed).order_by("path")[: ORG_SUGGESTIONS + 1])
    if len(named) == 1:
        return named[0]
    if named:
        raise forms.ValidationError(
            _("名称为“%(name)s”的组织有 %(n)s 个，请从下拉列表中选择，或输入其组织编码：%(orgs)s")
            % {
                "name": typed,
                "n": len(named) if len(named) <= ORG_SUGGESTIONS else f"{ORG_SUGGESTIONS}+",
                "orgs": enumeration(_org_label(o.name, o.code) for o in named[:ORG_SUGGESTIONS]),
            }
        )
    raise forms.ValidationError(
        _("没有名称或编码为“%(text)s”的组织：请在搜索框中输入名称的一部分，再从下拉列表中选择。")
        % {"text": typed}
    )


class SystemGrantForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("系统角色"), choices=SystemRole.choices)
    reason = forms.CharField(label=gettext_lazy("申请事由"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _select(field)


# --- 系统管理员: accounts ---------------------------------------------------------------------------------------


def _account_rows(users):
    return users.prefetch_related(
        Prefetch("roles", queryset=RoleAssignment.objects.select_related("org").order_by("pk")),
        Prefetch(
            "system_role_grants",
            queryset=SystemRoleGrant.objects.filter(status=SystemRoleStatus.ACTIVE),
            to_attr="active_system_roles",
        ),
    )


def _expired(on: dt.date) -> Q:
    """An enabled account whose member has left the roll by `on` (转出, 停止党籍, 出党, 死亡 …): an expired account,
    which 等保 asks to be disabled promptly (应及时删除或停用多余的、过期的账户). Only that it has left shows, never
    why (the member's record is not the 系统管理员's to read)."""
    return Q(is_active=True, member__inactive_from__lte=on)


@system_admin_required
@require_GET
def users(request):
    """Every account: username, name, status, roles. No personal data (an account's link to a member record
    shows as a yes/no only, and an enabled account whose member has left the roll as 应停用). `?expired=1`: those
    accounts only."""
    q = request.GET.get("q", "").strip()[:150]
    today = dt.date.today()
    accounts = User.objects.order_by("username").annotate(
        expired=ExpressionWrapper(_expired(today), output_field=BooleanField())
    )
    expired_only = request.GET.get("expired") == "1"
    if expired_only:
        accounts = accounts.filter(_expired(today))
    if q:
        accounts = accounts.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    page = Paginator(_account_rows(accounts), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "sys_users",
        "page": page,
        "q": q,
        "expired_only": expired_only,
        "expired_count": User.objects.filter(_expired(today)).count(),
    }
    return render(request, "accounts/system/users.html", context)


def _temporary_password_page(request, user, password, created: bool):
    return render(
        request,
        "accounts/system/temporary_password.html",
        {"nav": "sys_users", "account": user, "password": password, "created": created},
    )


@personal_data  # the temporary password: never kept by a browser or proxy cache
@system_admin_required
@require_http_methods(["GET", "POST"])
def user_new(request):
    form = AccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with once.guard(request) as claim:
                    user, password = sysroles.create_account(
                        actor=request.user,
                        username=form.cleaned_data["username"],
                        display_name=form.cleaned_data["display_name"],
                    )
                    claim.created(reverse("system:user_detail", kwargs={"pk": user.pk}))
            except once.AlreadySubmitted as exc:
                return once.already_submitted(request, exc)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return _temporary_password_page(request, user, password, created=True)
        status = 400
    return render(request, "accounts/system/user_new.html", {"nav": "sys_users", "form": form}, status=status)


@system_admin_required
@require_GET
def user_detail(request, pk: int):
    expired = ExpressionWrapper(_expired(dt.date.today()), output_field=BooleanField())
    account = get_object_or_404(_account_rows(User.objects.annotate(expired=expired)), pk=pk)
    pending = RoleRequest.objects.filter(user=account, status=RequestStatus.PENDING).select_related(
        "org", "requested_by"
    )
    return render(
        request,
        "accounts/system/user_detail.html",
        {
            "nav": "sys_users",
            "account": account,
            "assignments": account.roles.all(),
            "system_grant": account.active_system_roles[0] if account.active_system_roles else None,
            "pending": pending,
            "party_form": PartyGrantForm(auto_id="party_%s"),
            "system_form": SystemGrantForm(auto_id="system_%s"),
        },
    )


def _done(request, pk: int, text: str):
    messages.success(request, text)
    return redirect("system:user_detail", pk=pk)


def _refused(request, pk: int, exc: ServiceError):
    messages.error(request, exc.message)
    return redirect("system:user_detail", pk=pk)


@personal_data
@system_admin_required
@require_POST
@once.guarded
def user_password(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    try:
        with once.guard(request):  # a second POST of the same form resets nothing
            password = sysroles.reset_password(actor=request.user, user=account)
    except ServiceError as exc:
        return _refused(request, pk, exc)
    return _temporary_password_page(request, account, password, created=False)


@system_admin_required
@require_POST
@once.guarded
def user_active(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        with once.guard(request):
            sysroles.set_active(actor=request.user, user=account, active=active)
    except ServiceError as exc:
        return _refused(request, pk, exc)
    return _done(request, pk, _("账号已启用。") if active else _("账号已停用。"))


def _form_refused(request, pk: int, form: forms.Form):
    errors = [
        f"{form.fields[name].label}：{e}" if name != "__all__" else e
        for name, es in form.errors.items()
        for e in es
    ]
    messages.error(request, "；".join(str(e) for e in errors))
    return redirect("system:user_detail", pk=pk)


@system_admin_required
@require_POST
@once.guarded
def request_party_grant(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = PartyGrantForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, pk, form)
    try:
        with once.guard(request):
            sysroles.request_party_grant(
                actor=request.user,
                user=account,
                role=form.cleaned_data["role"],
                org=form.cleaned_data["org"],
                include_descendants=form.cleaned_data["include_descendants"],
                reason=form.cleaned_data["reason"],
            )
    except ServiceError as exc:
        return _refused(request, pk, exc)
    return _done(request, pk, _("授权申请已提交，待安全管理员审批后生效。"))


@system_admin_required
@require_POST
@once.guarded
def request_party_revoke(request, pk: int):
    assignment = get_object_or_404(RoleAssignment, pk=pk)
    try:
        with once.guard(request):
            sysroles.request_party_revoke(
                actor=request.user, assignment=assignment, reason=request.POST.get("reason", "")
            )
    except ServiceError as exc:
        return _refused(request, assignment.user_id, exc)
    return _done(request, assignment.user_id, _("撤销申请已提交，待安全管理员审批后生效。"))


@system_admin_required
@require_POST
@once.guarded
def request_system_grant(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = SystemGrantForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, pk, form)
    try:
        with once.guard(request):
            sysroles.request_system_grant(
                actor=request.user,
                user=account,
                role=form.cleaned_data["role"],
                reason=form.cleaned_data["reason"],
            )
    except ServiceError as exc:
        return _refused(request, pk, exc)
    return _done(request, pk, _("授权申请已提交，待安全管理员审批后生效。"))


@system_admin_required
@require_POST
@once.guarded
def request_system_revoke(request, pk: int):
    grant = get_object_or_404(SystemRoleGrant, pk=pk, status=SystemRoleStatus.ACTIVE)
    try:
        with once.guard(request):
            sysroles.request_system_revoke(
                actor=request.user, grant=grant, reason=request.POST.get("reason", "")
            )
    except ServiceError as exc:
        return _refused(request, grant.user_id, exc)
    return _done(request, grant.user_id, _("撤销申请已提交，待安全管理员审批后生效。"))


@system_admin_required
@require_GET
def org_options(request):
    """htmx: the `<option>`s of the grant form's organisation picker (`OrgPicker`) matching its search box: at
    most ORG_SUGGESTIONS active organisations, by name and code only, the first match chosen."""
    q = request.GET.get("org_q", "").strip()[:100]
    selected = request.GET.get("org", "")
    options = org_suggestions(q, "" if q else selected)
    values = [value for value, _label in options]
    if selected not in values:
        selected = values[0] if q and values else ""
    return render(
        request,
        "accounts/system/_org_options.html",
        {"options": options, "selected": selected, "searched": bool(q)},
    )


# --- requests and approvals ---------------------------------------------------------------------------------


@system_role_required(sysroles.SYSTEM_ADMIN, sysroles.SECURITY_ADMIN)
@require_GET
def requests(request):
    """Pending requests first (the 安全管理员 decides them here), then the decided ones, newest first."""
    status = request.GET.get("status", RequestStatus.PENDING)
    if status not in RequestStatus.values and status != "all":
        status = RequestStatus.PENDING
    rows = RoleRequest.objects.select_related("user", "org", "requested_by", "decided_by")
    if status != "all":
        rows = rows.filter(status=status)
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    role = scope_for(request.user).system_role
    return render(
        request,
        "accounts/system/requests.html",
        {
            "nav": "sys_requests",
            "page": page,
            "status": status,
            "statuses": [
                (RequestStatus.PENDING, RequestStatus.PENDING.label),
                *[(s, label) for s, label in RequestStatus.choices if s != RequestStatus.PENDING],
                ("all", _("全部")),
            ],
            "can_decide": role == sysroles.SECURITY_ADMIN,
        },
    )


@security_admin_required
@require_POST
@once.guarded
def decide(request, pk: int):
    row = get_object_or_404(RoleRequest, pk=pk)
    decision = request.POST.get("decision")
    note = request.POST.get("note", "")[:200]
    if decision not in ("approve", "reject"):
        raise Http404
    try:
        with once.guard(request):
            if decision == "approve":
                sysroles.approve_request(actor=request.user, request=row, note=note)
            else:
                sysroles.reject_request(actor=request.user, request=row, note=note)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("已批准：%(what)s") if decision == "approve" else _("已驳回：%(what)s")) % {"what": row},
        )
    return redirect("system:requests")


# --- 安全管理员: the security parameters in force --------------------------------------------------------------

SECURITY_PARAMETERS = (
    ("SIGNIN_FAILURE_LIMIT", gettext_lazy("账号连续登录失败锁定次数"), gettext_lazy("次")),
    ("SIGNIN_ADDRESS_FAILURE_LIMIT", gettext_lazy("同一客户端地址登录失败锁定次数"), gettext_lazy("次")),
    ("SIGNIN_FAILURE_WINDOW_MINUTES", gettext_lazy("登录失败计数间隔"), gettext_lazy("分钟")),
    ("SIGNIN_LOCKOUT_MINUTES", gettext_lazy("锁定时长"), gettext_lazy("分钟")),
    ("PASSWORD_MIN_LENGTH", gettext_lazy("密码最短长度"), gettext_lazy("位")),
    (
        "PASSWORD_MIN_CLASSES",
        gettext_lazy("密码至少包含的字符种类（大写、小写、数字、其他）"),
        gettext_lazy("种"),
    ),
    ("PASSWORD_HISTORY", gettext_lazy("不得与最近几次密码相同"), gettext_lazy("次")),
    ("PASSWORD_MAX_AGE_DAYS", gettext_lazy("密码有效期"), gettext_lazy("天")),
    ("PASSWORD_ARGON2_TIME_COST", gettext_lazy("密码存储（Argon2id）迭代次数"), gettext_lazy("次")),
    ("PASSWORD_ARGON2_MEMORY_KIB", gettext_lazy("密码存储（Argon2id）内存"), "KiB"),
    ("PASSWORD_ARGON2_LANES", gettext_lazy("密码存储（Argon2id）并行度"), ""),
    ("SESSION_IDLE_MINUTES", gettext_lazy("无操作自动退出"), gettext_lazy("分钟")),
    ("SESSION_MAX_HOURS", gettext_lazy("登录最长保持"), gettext_lazy("小时")),
    ("AUDIT_RETENTION_DAYS", gettext_lazy("操作日志至少保存"), gettext_lazy("天")),
)


@security_admin_required
@require_GET
def security(request):
    rows = [(name, label, getattr(settings, name, None), unit) for name, label, unit in SECURITY_PARAMETERS]
    return render(
        request,
        "accounts/system/security.html",
        {"nav": "sys_security", "rows": rows, "secure_cookies": settings.SESSION_COOKIE_SECURE},
    )
