from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what, when, to which record, with the values before and after (personal data masked).

    Written explicitly by services (never by signals). `org_path` is the tree path of the
    organisation the record belongs to, so the log can be filtered to a user's scope in SQL.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        IMPORT = "import", _("导入")
        IMPORT_PREVIEW = "import_preview", _("导入预览")
        IMPORT_FAILED = "import_failed", _("导入失败")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKOUT = "lockout", _("锁定账号")
        UNLOCK = "unlock", _("解除锁定")
        LOGOUT = "logout", _("退出登录")
        PASSWORD_CHANGE = "password_change", _("修改密码")
        OTP_VERIFIED = "otp_verified", _("双因素验证通过")
        OTP_FAILED = "otp_failed", _("双因素验证失败")
        OTP_ENABLE = "otp_enable", _("绑定验证器")
        OTP_DISABLE = "otp_disable", _("停用双因素")
        OTP_RESET = "otp_reset", _("重置双因素")
        RECOVERY_USED = "recovery_used", _("使用恢复码")
        RECOVERY_CODES = "recovery_codes", _("重新生成恢复码")
        VIEW_PERSONAL = "view_personal", _("查看个人信息")
        EXPORT = "export", _("导出")
        PRUNE = "prune", _("清理")
        REQUEST = "request", _("提出申请")
        APPROVE = "approve", _("批准")
        REJECT = "reject", _("驳回")
        PASSWORD_RESET = "password_reset", _("重置密码")
        DEACTIVATE = "deactivate", _("停用账号")
        ACTIVATE = "activate", _("启用账号")
        PLAN = "plan", _("计划活动")
        CANCEL = "cancel", _("取消")
        NOTIFY = "notify", _("生成提醒")
        NOTIFICATION_READ = "notification_read", _("标为已读")
        CALENDAR_FEED_CREATE = "calendar_feed_create", _("生成日历订阅")
        CALENDAR_FEED_REVOKE = "calendar_feed_revoke", _("停用日历订阅")
        VERIFY = "verify", _("完整性校验")

    # Set by `audit.record` once the chain is locked, so that times follow the chain's order.
    at = models.DateTimeField(_("时间"), default=timezone.now, editable=False, db_index=True)
    # PROTECT: an event is never changed, so a user who acted is deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=50)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    org_path = models.CharField(_("所属组织路径"), max_length=255, blank=True)
    # The organisation the event is filed under, by id: the last segment of org_path (`audit.org_of_path`), set
    # when the event is made. org_path says where the organisation stood then; when it moves, its events follow
    # it by this id (the log's scope and its organisation filter read both). Not hashed: it is derived from a
    # hashed field.
    org_ref = models.BigIntegerField(_("所属组织"), null=True, blank=True, editable=False)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    # The hash chain (core.auditchain): the predecessor's hash ("" for the first event ever) and this
    # event's hash over its fields and prev_hash.
    prev_hash = models.CharField(_("前一条哈希"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("哈希"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # a subtree's events are a `org_path LIKE 'prefix%'`: on PostgreSQL under a non-C collation only a
            # pattern-ops index serves it (with org_ref's, two bitmap scans for a scope; see portal.auditlog.within)
            models.Index(
                fields=["org_path"], name="audit_org_path_like_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["org_ref"], name="audit_org_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class ExportJob(models.Model):
    """A large spreadsheet export made by the task worker (core.exports): the page that asked for it shows its
    progress, and the finished file (encrypted at rest under VAR_DIR/exports) is downloaded by the same user."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("正在生成")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未能生成")
        EXPIRED = "expired", _("已过期")

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE)
    kind = models.CharField(_("导出内容"), max_length=64)
    params = models.JSONField(_("条件"), default=dict)  # the export page's query, as lists of strings
    language = models.CharField(_("语言"), max_length=16, blank=True)  # of the page that asked for it
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(_("已写行数"), default=0)
    rows_expected = models.PositiveIntegerField(_("预计行数"), default=0)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    error = models.CharField(_("未能生成的原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        indexes = [models.Index(fields=["created_at"], name="export_job_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


from dangjian.core.once import SubmittedForm  # noqa: E402, F401  (the model of the one-time form tokens)
