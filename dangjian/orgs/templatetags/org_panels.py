"""`{% render_panel panel %}`: a panel registered through `dangjian.orgs.panels`, rendered with the page's
context plus its own."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel):
    tmpl = context.template.engine.get_template(panel.template)
    with context.push(**panel.context):
        return tmpl.render(context)  # a SafeString: not escaped again
