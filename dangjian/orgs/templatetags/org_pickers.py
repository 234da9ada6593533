"""`{% org_select orgs org id="dj-org" empty_label=… kind=… %}`: a page's organisation select, every
organisation of a small scope or the search picker of a large one (`dangjian.orgs.widgets.org_select`)."""

from django import template
from django.utils.safestring import mark_safe

from dangjian.orgs import widgets

register = template.Library()


@register.simple_tag
def org_select(orgs, selected=None, *, id="dj-org", name="org", empty_label=None, kind="", css=""):
    attrs = {"id": id}
    if css:
        attrs["class"] = css
    html = widgets.org_select(
        orgs, name=name, selected=selected, empty_label=empty_label, attrs=attrs, kind=kind
    )
    return mark_safe(html)  # built by format_html and FastSelect: every value is escaped
