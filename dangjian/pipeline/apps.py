from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "dangjian.pipeline"
    label = "pipeline"
    verbose_name = _("发展党员")

    def ready(self) -> None:
        from dangjian.core.audit import register_snapshot_labels
        from dangjian.members.services import (
            register_delete_check,
            register_identity_follower,
            register_pending_check,
        )
        from dangjian.pipeline import rules, timeline, workbench  # noqa: F401  (the compliance plug-in; the timeline source; the workbench)
        from dangjian.pipeline.services import (
            admitted_member_kept,
            applicants_pending,
            follow_member_identity,
        )

        # a member's corrected 姓名/身份证号 corrects the development case that admitted them
        register_identity_follower(follow_member_identity)
        # an applicant of a case not ended joins the roll through its admission, not as a member entered directly
        register_pending_check(applicants_pending)
        # and leaves it by undoing that admission, not by being deleted on their own page
        register_delete_check(admitted_member_kept)

        # the audit page: a step's snapshot names it, and its key is a code of the workflow file
        register_snapshot_labels(
            "pipeline.casestep", {"step": _("步骤名称")}, values={"key": rules.step_name}
        )
        # a correction of the applicant names the fields it changed (never a 身份证号)
        register_snapshot_labels(
            "pipeline.developmentcase", {"corrected": _("更正项目")}, values={"corrected": corrected_fields}
        )


def corrected_fields(value) -> str:
    """The fields a correction of the applicant changed (their names in the snapshot), in words."""
    from dangjian.core.i18n import enumeration
    from dangjian.pipeline.models import DevelopmentCase

    names = value if isinstance(value, list) else [value]
    fields = {f.name: f.verbose_name for f in DevelopmentCase._meta.fields}
    return enumeration(fields.get(name, name) for name in names)
