from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from dangjian.core.web import admin_required


def _placeholder(request, pk=None):
    return HttpResponse("members")


member_list = member_create = member_export = member_edit = admin_required(_placeholder)
member_detail = login_required(_placeholder)
