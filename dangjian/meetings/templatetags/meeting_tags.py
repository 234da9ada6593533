"""The list of 组织生活 records and the type badges of a record, written in Python: the list shows 50 records a
page, and the template loop (with an `{% include %}` of the badges on every row) took more than half of the
page's CPU. The markup is the template's, to the character (tests compare both)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from dangjian.core.escape import esc
from dangjian.meetings.choices import MeetingType

register = template.Library()


_LABELS = dict(MeetingType.choices)


def _label(meeting_type: str) -> str:
    """The type's label in the active language: what `get_type_display()` gives, without the dict of every
    choice (and a translation of each label) Django builds for each call."""
    return str(_LABELS.get(meeting_type, meeting_type))


def _badges(kinds) -> str:
    return " ".join(
        f'<span class="badge dj-mt dj-mt-{esc(k.type)}">{esc(_label(k.type))}</span>' for k in kinds
    )


@register.filter
def meeting_badges(kinds) -> SafeString:
    """A record's types as badges, in the order given."""
    return mark_safe(_badges(kinds))  # every value escaped by esc


_ROW = (
    "\n        <tr>"
    '\n          <td class="text-nowrap dj-date-cell" data-label="{l_date}">{date}</td>'
    '\n          <td class="dj-org-cell" data-label="{l_org}">{org}{unit}</td>'
    '\n          <td class="dj-types-cell" data-label="{l_types}">{badges}\n</td>'
    '\n          <td class="dj-topic-cell" data-label="{l_topic}"><a href="{url}">{topic}</a></td>'
    '\n          <td class="text-end text-nowrap dj-count-cell" data-label="{l_count}">{count}</td>'
    '\n          <td class="text-nowrap small dj-author-cell" data-label="{l_author}">{author}</td>'
    "\n        </tr>"
    "\n        "
)


@register.simple_tag
def meeting_rows(meetings) -> SafeString:
    """The rows of `meetings/list.html`'s table: records decorated by `selectors.decorate` (kind_list, headline),
    with their organisation and author fetched."""
    labels = {
        "l_date": esc(gettext("日期")),
        "l_org": esc(gettext("组织")),
        "l_types": esc(gettext("类型")),
        "l_topic": esc(gettext("主题")),
        "l_count": esc(gettext("应到/实到")),
        "l_author": esc(gettext("录入人")),
    }
    system = esc(gettext("系统"))
    out = []
    for m in meetings:
        org = m.org
        headline = m.headline
        count = (
            f'<span title="{esc(_label(headline.type))}">{esc(headline.expected)} / {esc(headline.present)}</span>'
            if headline
            else "—"
        )
        out.append(
            _ROW.format(
                date=m.date.strftime("%Y-%m-%d"),
                org=esc(org.name),
                unit=f'<div class="small dj-muted">{esc(org.unit)}</div>' if org.unit else "",
                badges=_badges(m.kind_list),
                url=esc(reverse("meetings:detail", args=[m.pk])),
                topic=esc(m.topic),
                count=count,
                author=esc(m.created_by.display_name()) if m.created_by else system,
                **labels,
            )
        )
    return mark_safe("".join(out))  # every value escaped by esc
