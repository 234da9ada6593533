"""The member parts of the organisation pages (`dangjian.orgs.panels`), registered on import by
`MembersConfig.ready()`: the member counts of the tree and of the children table, and two panels of an
organisation's page: 本月政治生日 (a 党支部's, the first days of the month) after the posts, and the paginated
list of the members of its subtree at the end."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator

from dangjian.members import selectors
from dangjian.orgs import panels
from dangjian.orgs.models import Org


def birthdays_panel(request, org: Org) -> panels.Panel | None:
    birthdays = selectors.birthday_panel(request.user, org)  # None: no panel
    if birthdays is None:
        return None
    return panels.Panel("members/_org_birthdays.html", {"birthdays": birthdays})


def members_panel(request, org: Org) -> panels.Panel:
    # the members on the roll, as the tree counts them; those off it are counted in the same query and named in a
    # note linking to the 党员名册 (党籍状态 全部)
    on_roll, off_roll = selectors.subtree_roll_counts(request.user, org)
    paginator = Paginator(selectors.subtree_members(request.user, org), settings.PAGE_SIZE)
    paginator.count = on_roll  # known: no second COUNT
    members = paginator.get_page(request.GET.get("page"))
    return panels.Panel("members/_org_members.html", {"members": members, "off_roll": off_roll})


panels.register_member_counts(per_org=selectors.member_counts, below=selectors.member_counts_below)
panels.register_detail_panel(birthdays_panel, slot="after_posts")
panels.register_detail_panel(members_panel, slot="end")
