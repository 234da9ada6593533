"""The member roll's export (the member list's filter, in the import's columns), registered with core.exports: made
at once for a branch's roll, by the task worker for a large one. 身份证号 and 手机号码 are in full only for the
members whose detail page would show them in full to the user (`PII_FULL_ACCESS_ROLES`), masked otherwise."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.accounts.scope import scope_for
from dangjian.core import xlsx
from dangjian.core.downloads import Counted
from dangjian.core.exports import Made, Progress, register_export
from dangjian.members import selectors
from dangjian.members.forms import MemberFilterForm
from dangjian.members.xlsx import MemberImporter


def filtered(user, query: QueryDict):
    """The filter form over the user's visible organisations and the matching member queryset."""
    form = MemberFilterForm(query or None, orgs=selectors.filter_org_options(user))
    return form, selectors.member_list(user, form.filters())


def _estimate(user, query: QueryDict) -> int:
    _form, members = filtered(user, query)
    return members.count()


@register_export("members", estimate=_estimate, label=gettext_lazy("党员名册"))
def build_export(user, query: QueryDict, progress: Progress) -> Made:
    form, members = filtered(user, query)
    filters = form.filters()
    scope = scope_for(user)
    org = filters.get("org")
    importer = MemberImporter()
    rows = Counted(importer.export_rows(members, full_personal=scope.sees_personal_data_of), progress)
    content = xlsx.write_workbook(importer.columns, rows, title=importer.title)
    return Made(
        content,
        f"{_('党员名册')}-{dt.date.today():%Y-%m-%d}.xlsx",
        what=_("党员名册"),
        object_type="members.member",
        org_path=org.path if org else scope.top_path,
        scope=describe_filters(filters) or _("全部可见党员"),
        rows=rows.n,
    )


def describe_filters(filters: dict) -> str:
    parts = []
    if filters.get("org"):
        parts.append(f"{_('组织')}={filters['org'].code}")
    for key in ("category", "work_status", "status"):
        if filters.get(key):
            parts.append(f"{key}={filters[key]}")
    if filters.get("is_mobile") is not None:
        parts.append(f"is_mobile={int(filters['is_mobile'])}")
    if filters.get("q"):
        parts.append(f"{_('姓名')}~{filters['q']}")
    return "; ".join(parts)
