"""The pages of the system roles (三员分立): accounts and requests (系统管理员), approvals and the security
parameters (安全管理员). Each page admits one system role; every write calls one service of `accounts.sysroles`."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
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


class PartyGrantForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("党组织角色"), choices=Role.choices)
    org_code = forms.CharField(label=gettext_lazy("组织编码"), max_length=50)
    include_descendants = forms.BooleanField(label=gettext_lazy("含下级组织"), required=False, initial=True)
    reason = forms.CharField(label=gettext_lazy("申请事由"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("role", "org_code", "reason"):
            _select(self.fields[name])
        self.fields["include_descendants"].widget.attrs["class"] = "form-check-input"

    def clean_org_code(self):
        code = self.cleaned_data["org_code"].strip()
        org = _org_model().objects.filter(code=code).first()
        if org is None:
            raise forms.ValidationError(_("组织编码“%(code)s”不存在。") % {"code": code})
        self.cleaned_data["org"] = org
        return code


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


@system_admin_required
@require_GET
def users(request):
    """Every account: username, name, status, roles. No personal data (an account's link to a member record
    shows as a yes/no only)."""
    q = request.GET.get("q", "").strip()[:150]
    accounts = User.objects.order_by("username")
    if q:
        accounts = accounts.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    page = Paginator(_account_rows(accounts), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/system/users.html", {"nav": "sys_users", "page": page, "q": q})


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
    account = get_object_or_404(_account_rows(User.objects.all()), pk=pk)
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
