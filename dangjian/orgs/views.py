from django.http import HttpResponse

from dangjian.core.web import admin_required


def _placeholder(request, pk=None):
    return HttpResponse("orgs")


org_tree = org_create = org_export = org_detail = org_edit = post_create = post_edit = admin_required(
    _placeholder
)
